"""Reading a feed over the API as InTarget does, shared by the feed test modules."""

WINDOW = {"from": "2020-10-10 07:00:00", "to": "2020-10-10 08:00:00"}


def get(client, feed, window=True, **params) -> bytes:
    """The whole body of ``GET /api/<feed>``: for WINDOW (``params`` override it), or with
    no window at all when ``window=False``."""
    response = client.get(f"/api/{feed}", {**WINDOW, **params} if window else params)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def ids(body: bytes) -> list[str]:
    """The first column of a CSV body, without the header."""
    return [line.split(",")[0] for line in body.decode().split("\n")[1:-1]]


def response_ids(response) -> list[str]:
    """The first column of a streamed CSV answer, without the header."""
    assert response.status_code == 200, response.content
    return ids(b"".join(response.streaming_content))
