"""`/api/v1/instruments/`: each questionnaire as data, for any signed-in user; licensed wording
only once the clinic loaded it (`manage.py load_instrument`)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from members.models import InstrumentWording
from members.services.outcomes import schedule_assessment

from ...conftest import World, bearer_client
from ...instrument_wording import fake_wording


def test_every_user_reads_every_instrument_with_source_and_licence(world: World) -> None:
    for user in (world.member.user, world.pt.user, world.coordinator, world.staff):
        response = bearer_client(user).get("/api/v1/instruments/")
        assert response.status_code == 200, response.content
        body = {row["code"]: row for row in response.json()}
        assert list(body) == ["nprs", "odi", "psfs", "zcq"]
    assert body["nprs"]["offered"] and body["psfs"]["offered"]
    assert not body["odi"]["offered"] and not body["zcq"]["offered"]
    assert body["odi"]["licensed"] and "Mapi" in body["odi"]["source"]
    item = body["nprs"]["parts"][0]["items"][0]
    assert item["text"].startswith("On average over the last 24 hours")
    assert item["options"][0] == {"value": 0, "text": "0: no pain at all"}
    assert Client().get("/api/v1/instruments/").status_code == 401


def test_detail_and_an_unknown_code(world: World) -> None:
    client = bearer_client(world.member.user)
    odi = client.get("/api/v1/instruments/odi/").json()
    assert odi["code"] == "odi" and odi["wording_loaded"] is False
    assert [i["topic"] for i in odi["parts"][0]["items"]][:2] == ["Pain intensity", "Personal care"]
    assert all(i["text"] is None for i in odi["parts"][0]["items"])
    assert odi["scoring"]["function"] == "members.rules.scoring.score_odi"
    assert client.get("/api/v1/instruments/sf36/").status_code == 404


def test_load_instrument_offers_the_worded_odi(world: World, tmp_path: Path) -> None:
    schedule_assessment(member=world.member, instrument="odi", every_n_days=14, therapist=world.pt)
    member_page = Client()
    member_page.force_login(world.member.user)
    assert member_page.get("/questionnaires/odi/").status_code == 404
    assert 'href="/questionnaires/odi/"' not in member_page.get("/questionnaires/").content.decode()
    assert bearer_client(world.member.user).get("/api/v1/today/").json()["due_questionnaires"] == []

    path = tmp_path / "odi-wording.json"
    path.write_text(json.dumps(fake_wording("odi")), encoding="utf-8")
    out = StringIO()
    call_command("load_instrument", str(path), stdout=out)
    assert "wording loaded" in out.getvalue()
    call_command("load_instrument", str(path), stdout=out)
    assert "wording replaced" in out.getvalue()
    assert InstrumentWording.objects.count() == 1

    odi = bearer_client(world.pt.user).get("/api/v1/instruments/odi/").json()
    assert odi["offered"] and odi["wording_loaded"]
    assert odi["parts"][0]["items"][0]["text"] == "FAKE TEST WORDING: ODI question 1?"
    html = member_page.get("/questionnaires/odi/").content.decode()
    assert "FAKE TEST WORDING: ODI question 10?" in html
    assert "FAKE TEST WORDING: answer 5 to question 10" in html
    today = bearer_client(world.member.user).get("/api/v1/today/").json()
    assert [d["instrument"] for d in today["due_questionnaires"]] == ["odi"]


@pytest.mark.django_db
def test_load_instrument_refuses_a_file_that_changes_the_structure(tmp_path: Path) -> None:
    data = fake_wording("zcq")
    data["parts"][0]["items"][6]["options"].append({"value": 4, "text": "FAKE"})
    path = tmp_path / "zcq.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_instrument", str(path), stdout=StringIO())
    unworded = tmp_path / "odi.json"
    unworded.write_text(
        (Path(__file__).resolve().parents[3] / "fixtures/instruments/odi.json").read_text(),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="give the words"):
        call_command("load_instrument", str(unworded), stdout=StringIO())
    with pytest.raises(CommandError, match="No file"):
        call_command("load_instrument", str(tmp_path / "none.json"), stdout=StringIO())
    assert not InstrumentWording.objects.exists()


def test_zcq_result_page_uses_its_own_scale(world: World) -> None:
    from ...instrument_wording import load_fake_wording

    load_fake_wording("zcq")
    client = Client()
    client.force_login(world.member.user)
    fields = {f"severity-{n}": "1" for n in range(1, 8)} | {
        f"function-{n}": "1" for n in range(1, 6)
    }
    response = client.post("/questionnaires/zcq/", fields)
    assert response.status_code == 302, response.content
    html = client.get(response["Location"]).content.decode()
    assert "on a scale from 1 to 5" in html and "on a scale from 1 to 4" in html
    result = html.split('data-testid="questionnaire-result"')[1].split("</section>")[0]
    assert "20%" not in result and "20.0%" not in result
