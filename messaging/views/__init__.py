"""The messaging pages: a member's conversation with their care team, a PT's conversations
beside the caseload, and the coordinator's working hours."""
