"""The chat's filters through its API, as outside tools call it: `chat` keeps its inputs, and
`chat_filtered` takes since, until and outlet after them."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(chat_server):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from gradio_client import Client

    client = Client(chat_server, verbose=False, download_files=False)
    yield client
    client.close()


def reply(history) -> str:
    return history[-1]["content"][0]["text"]


def test_the_chat_endpoint_keeps_its_two_parameters(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert [p["parameter_name"] for p in endpoints["/chat"]["parameters"]] == ["message", "history"]
    assert [p["parameter_name"] for p in endpoints["/chat_filtered"]["parameters"]] == \
        ["message", "history", "since", "until", "outlet"]


def test_chat_filtered_applies_dates_and_an_outlet(client):
    history, _ = client.predict("How much did the bridge repairs cost?", [], "2022-01-01", "2022-12-31", "",
                                api_name="/chat_filtered")
    text = reply(history)
    assert text.startswith("*Searched only articles published 2022\\-01\\-01 to 2022\\-12\\-31.*")
    assert "14 million euros" not in text
    history, _ = client.predict("How many crew members will lose their jobs?", [], "", "", "island post",
                                api_name="/chat_filtered")
    text = reply(history)
    assert "Searched only articles from outlet island post" in text and "Harbour Gazette" not in text


def test_a_bad_filter_gets_a_message_not_an_error(client):
    history, _ = client.predict("Who denied polluting the river?", [], "2022-01-01", "2021-01-01", "",
                                api_name="/chat_filtered")
    assert reply(history).startswith("Please check the filter")
    history, _ = client.predict("Who denied polluting the river?", [], "", "", "Daily Planet", api_name="/chat_filtered")
    assert "No article matches the filter" in reply(history) and "Traceback" not in reply(history)
