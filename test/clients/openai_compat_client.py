"""A caller of the OpenAI-compatible endpoint (API.md §12) with plain requests, the way scripts
and notebooks call OpenAI's API: base URL + key, POST /chat/completions, read choices[0].

Usage: BASE_URL=http://127.0.0.1:8000 API_KEY=<access token or sk-key> python3 openai_compat_client.py
Prints one JSON line with what it read; exits 1 when the answer is not OpenAI's shape.
"""
import json
import os
import sys

import requests


def chat(base_url, api_key, model, prompt):
    r = requests.post(
        f"{base_url}/api/v1/openai/chat/completions",
        headers={"Authorization": f"Bearer {api_key}"},
        json={
            "model": model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0.2,
            "max_tokens": 64,
            # Extras an OpenAI client may send: ignored by the service.
            "logprobs": False,
            "seed": 7,
        },
        timeout=30,
    )
    r.raise_for_status()
    return r.json()


def main():
    body = chat(os.environ.get("BASE_URL", "http://localhost:8000"), os.environ["API_KEY"], "gpt-3.5-turbo", "Hello from requests")
    choice = body["choices"][0]
    ok = (
        body["object"] == "chat.completion"
        and body["id"].startswith("chatcmpl-")
        and choice["message"]["role"] == "assistant"
        and bool(choice["message"]["content"])
        and body["usage"]["total_tokens"] == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    print(json.dumps({"content": choice["message"]["content"], "finish_reason": choice["finish_reason"], "usage": body["usage"]}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
