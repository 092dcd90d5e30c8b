"""Schemathesis hooks for scripts/schemathesis.sh: every request to a protected operation gets the
token of a customer registered for it alone, so that a logout or a refresh (which blacklist their
token) or a password update does not change what the next request finds."""

import os
import uuid

import requests
import schemathesis

API = os.environ["PELCRO_API"]
SITE_ID = os.environ.get("PELCRO_SITE_ID", "1")
PASSWORD = os.environ["PELCRO_EXAMPLE_PASSWORD"]


@schemathesis.auth(refresh_interval=None)
class FreshCustomer:
    def get(self, case, ctx):
        reply = requests.post(
            f"{API}/auth/register",
            params={"site_id": SITE_ID},
            json={"email": f"st-{uuid.uuid4().hex}@example.com", "password": PASSWORD},
            timeout=10,
        )
        reply.raise_for_status()
        return reply.json()["data"]["auth_token"]

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
