"""The contract's Python client path (API.md §9), unchanged in spirit: requests + JSON.

login -> create_conversation -> send_message -> read data.assistant_message.content ->
get_conversations. Usage: BASE_URL=http://127.0.0.1:8000 USERNAME=u PASSWORD=p python3 seed_client.py
"""
import os
import sys

import requests


class ChatGPTClient:
    def __init__(self, base_url="http://localhost:8000"):
        self.base_url = base_url
        self.access_token = None

    def _headers(self):
        return {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}

    def login(self, username, password):
        r = requests.post(f"{self.base_url}/api/v1/auth/login", json={"username": username, "password": password})
        r.raise_for_status()
        self.access_token = r.json()["data"]["access_token"]
        return r.json()

    def create_conversation(self, title, model="gpt-3.5-turbo"):
        r = requests.post(
            f"{self.base_url}/api/v1/conversations", json={"title": title, "model": model}, headers=self._headers()
        )
        r.raise_for_status()
        return r.json()["data"]

    def send_message(self, conversation_id, content, role="user", **options):
        body = {"content": content, "role": role, **options}
        r = requests.post(
            f"{self.base_url}/api/v1/conversations/{conversation_id}/messages", json=body, headers=self._headers()
        )
        r.raise_for_status()
        return r.json()

    def get_conversations(self, page=1, size=20):
        r = requests.get(
            f"{self.base_url}/api/v1/conversations", params={"page": page, "size": size}, headers=self._headers()
        )
        r.raise_for_status()
        return r.json()["data"]


def main():
    client = ChatGPTClient(os.environ.get("BASE_URL", "http://localhost:8000"))
    client.login(os.environ["USERNAME"], os.environ["PASSWORD"])
    conversation = client.create_conversation("Python client", model="gpt-3.5-turbo")
    reply = client.send_message(conversation["id"], "Hello from the Python client", temperature=0.7)
    content = reply["data"]["assistant_message"]["content"]
    listed = client.get_conversations(page=1, size=20)
    ok = bool(content) and any(c["id"] == conversation["id"] for c in listed["conversations"])
    print(f"python client: reply of {len(content)} chars, {listed['pagination']['total']} conversation(s) listed")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
