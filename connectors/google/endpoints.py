"""Where thidua's Google clients point: at Google, or at the local Workspace emulator.

The client libraries stay unmodified. googleapiclient gets ``client_options.api_endpoint`` (with the
static discovery documents it ships) plus an httplib2 transport that keeps media-upload URLs on plain HTTP;
gspread — whose URLs are fixed to Google's hosts — gets an AuthorizedSession with a requests transport
adapter mounted on those hosts that forwards to the emulator. Pass ``base_url=None`` for real Google.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

import gspread
import httplib2
import requests
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient import discovery
from googleapiclient.discovery_cache import get_static_doc

from connectors.google.api import DEFAULT_TIMEOUT_S

GOOGLE_HOSTS = (
    "https://sheets.googleapis.com/",
    "https://www.googleapis.com/",
    "https://docs.googleapis.com/",
    "https://gmail.googleapis.com/",
    "https://forms.googleapis.com/",
    "https://oauth2.googleapis.com/",
)
GSPREAD_HOSTS = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")
_AUTHORIZED_SESSION: Any = AuthorizedSession  # unannotated in google-auth

SCOPES = {
    "sheets": "https://www.googleapis.com/auth/spreadsheets",
    "drive": "https://www.googleapis.com/auth/drive",
    "docs": "https://www.googleapis.com/auth/documents",
    "gmail_send": "https://www.googleapis.com/auth/gmail.send",
    "gmail_readonly": "https://www.googleapis.com/auth/gmail.readonly",
    "forms_body": "https://www.googleapis.com/auth/forms.body",
    "forms_responses": "https://www.googleapis.com/auth/forms.responses.readonly",
}


def service_path(api: str, version: str) -> str:
    """The API's servicePath from the discovery document google-api-python-client ships (e.g. ``drive/v3/``)."""
    doc = get_static_doc(api, version)
    if doc is None:
        raise ValueError(f"No static discovery document for {api} {version}.")
    return str(json.loads(doc)["servicePath"])


def token_uri(base_url: str | None) -> str:
    """Google's token endpoint, or the emulator's when a base URL is given."""
    return "https://oauth2.googleapis.com/token" if base_url is None else base_url.rstrip("/") + "/token"


def service_account_credentials(
    info: Mapping[str, Any],
    scopes: Iterable[str],
    subject: str | None = None,
    base_url: str | None = None,
) -> service_account.Credentials:
    """Service-account credentials; with ``base_url`` their token_uri is the emulator's ``/token``."""
    data = dict(info)
    if base_url is not None:
        data["token_uri"] = token_uri(base_url)
    from_info: Any = service_account.Credentials.from_service_account_info  # unannotated in google-auth
    credentials: service_account.Credentials = from_info(data, scopes=list(scopes))
    if not subject:
        return credentials
    delegate: Any = credentials.with_subject  # unannotated in google-auth
    delegated: service_account.Credentials = delegate(subject)
    return delegated


class LoopbackHttp(httplib2.Http):  # type: ignore[misc]
    """httplib2 transport for the emulator: googleapiclient builds media-upload URLs from the discovery
    document's https root and only swaps the host, so those arrive as ``https://<emulator>``; send them
    over plain HTTP to the same host."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout)
        parsed = urllib.parse.urlsplit(base_url)
        self._netloc = parsed.netloc
        self._scheme = parsed.scheme

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        """Sends a request for the emulator's host over the emulator's scheme."""
        parts = urllib.parse.urlsplit(uri)
        if parts.netloc == self._netloc and parts.scheme != self._scheme:
            uri = urllib.parse.urlunsplit(parts._replace(scheme=self._scheme))
        return super().request(uri, method, *args, **kwargs)


def build_service(
    api: str,
    version: str,
    credentials: Credentials,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Any:
    """A googleapiclient Resource for ``api``/``version`` using the shipped (static) discovery document."""
    if base_url is None:
        http = AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
        return discovery.build(api, version, http=http, static_discovery=True, cache_discovery=False)
    endpoint = base_url.rstrip("/") + "/" + service_path(api, version)
    http = AuthorizedHttp(credentials, http=LoopbackHttp(base_url, timeout))
    return discovery.build(
        api,
        version,
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoint},
    )


class ForwardingAdapter(requests.adapters.HTTPAdapter):
    """A requests transport adapter that sends ``https://<google host>/<path>`` to ``<base_url>/<path>``."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._base = urllib.parse.urlsplit(base_url)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        """Sends the request to the base URL's host, keeping its path and query."""
        parts = urllib.parse.urlsplit(request.url or "")
        request.url = urllib.parse.urlunsplit(parts._replace(scheme=self._base.scheme, netloc=self._base.netloc))
        return super().send(request, *args, **kwargs)


def authorized_session(credentials: Credentials, base_url: str | None = None) -> AuthorizedSession:
    """An AuthorizedSession; with ``base_url`` every Google API host is forwarded to the emulator."""
    session: AuthorizedSession = _AUTHORIZED_SESSION(credentials)
    if base_url is not None:
        adapter = ForwardingAdapter(base_url)
        for host in GOOGLE_HOSTS:
            session.mount(host, adapter)
    return session


def gspread_client(credentials: Credentials, base_url: str | None = None,
                   timeout: float = DEFAULT_TIMEOUT_S) -> gspread.Client:
    """A gspread client; with ``base_url`` its fixed Google URLs reach the emulator through the adapter."""
    session: AuthorizedSession = _AUTHORIZED_SESSION(credentials)
    if base_url is not None:
        adapter = ForwardingAdapter(base_url)
        for host in GSPREAD_HOSTS:
            session.mount(host, adapter)
    client = gspread.Client(auth=credentials, session=session)
    client.set_timeout(timeout)
    return client
