"""URL map: pages, the v1 API, schema and docs, health, admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from members.api.urls import urlpatterns as members_api
from messaging.api.urls import urlpatterns as messaging_api
from programs.api.urls import urlpatterns as programs_api

from . import health, views
from .routing import IndexedResolver

# One flat list, resolved by first segment (exercise_tracker/routing.py).
api_v1 = IndexedResolver("api/v1/", [*members_api, *programs_api, *messaging_api])

# The API first: every API request would otherwise try (and fail, noting each failure) all
# of the pages' patterns before reaching it; no page pattern starts with "api/".
urlpatterns = [
    api_v1,
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("", include("programs.urls")),
    path("", include("members.urls")),
    path("", include("messaging.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="exercise_tracker/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    urlpatterns.append(
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
            name="media",
        )
    )

if settings.BENCH_ENDPOINTS:
    from . import bench_views

    urlpatterns.append(path("bench/bare/", bench_views.bare, name="bench-bare"))
    urlpatterns.append(path("bench/insert/", bench_views.insert, name="bench-insert"))

handler404 = "exercise_tracker.views.not_found"
handler500 = "exercise_tracker.views.server_error"
handler400 = "exercise_tracker.views.bad_request"
