"""Run the 1EdTech Open Badges reference validator (PyPI `openbadges` 1.1.2) offline.

Runs under the validator's own Python 3.11 virtualenv (`make validator-venv`), never the
project's. Usage:

    run.py INPUT [--email ADDRESS] [--contexts DIR]

INPUT is a hosted assertion URL or the path of a baked PNG or SVG badge; ADDRESS is the email
the recipient is expected to have (passed to the validator as the trusted recipient profile).
Prints the validator's JSON report on stdout; exits 0 whenever a report was produced, valid
or not.

Offline: the Open Badges JSON-LD contexts are served from local copies (the folder's README
lists them) and every request to a host other than loopback fails, whether it goes through
`requests` (the validator's fetches), pyld's own loader (urllib) or a bare socket.
"""

import argparse
import ipaddress
import json
import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

# Copies of the published contexts (1EdTech openbadges-specification), kept beside this script
# so that a clean checkout verifies offline.
DEFAULT_CONTEXTS = Path(__file__).resolve().parent / "contexts"
CONTEXT_FILES = {
    "https://w3id.org/openbadges/v2": "openbadges-v2.json",
    "https://openbadgespec.org/v2/context.json": "openbadges-v2.json",
    "https://w3id.org/openbadges/v1": "openbadges-v1.json",
    "https://w3id.org/openbadges/legacy-v1": "openbadges-legacy-v1.json",
}
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class OfflineError(OSError):
    """A request to a host other than loopback (the validator must not use the internet)."""


def is_loopback(host):
    host = (host or "").strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_contexts(folder):
    contexts = {}
    for url, name in CONTEXT_FILES.items():
        contexts[url] = (folder / name).read_bytes()
    return contexts


def guard_sockets():
    """No name resolution (hence no connection by name) for any host but loopback."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is not None and not is_loopback(name):
            raise OfflineError(f"offline validator: refused to resolve {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def patch_requests(contexts):
    """requests' transport: contexts from the local copies, loopback as is, the rest refused."""
    import requests
    from requests.adapters import HTTPAdapter
    from requests.structures import CaseInsensitiveDict

    real_send = HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        url = request.url.split("#")[0]
        body = contexts.get(url) or contexts.get(url.rstrip("/"))
        if body is not None:
            response = requests.Response()
            response.status_code = 200
            response.reason = "OK"
            response.url = url
            response.request = request
            response.encoding = "utf-8"
            response.headers = CaseInsensitiveDict({"Content-Type": "application/ld+json"})
            response._content = body
            return response
        if not is_loopback(urlsplit(url).hostname):
            raise requests.ConnectionError(f"offline validator: refused to fetch {url}")
        return real_send(self, request, *args, **kwargs)

    HTTPAdapter.send = send


def install_document_loader(contexts):
    """pyld's default loader (used where the validator passes none): local contexts only."""
    import requests
    from pyld import jsonld

    def load_document(url):
        body = contexts.get(url) or contexts.get(url.rstrip("/"))
        if body is None:
            if not is_loopback(urlsplit(url).hostname):
                raise jsonld.JsonLdError(
                    f"offline validator: refused to load {url}",
                    "jsonld.LoadDocumentError",
                    code="loading document failed",
                )
            body = requests.get(url, headers={"Accept": "application/ld+json"}, timeout=30).content
        return {"contextUrl": None, "documentUrl": url, "document": body.decode("utf-8")}

    jsonld.set_document_loader(load_document)


def text_from_unbake():
    """openbadges-bakery 1.2.4 (the newest that installs beside openbadges 1.1.2's pin of
    rfc3986==0.4.1) returns a baked SVG's `verify` attribute as bytes on Python 3, which the
    verifier then rejects ("only URL, JSON, or JWS input implemented so far") whatever the
    badge: give the verifier text, as openbadges-bakery 2.0 does. Nothing else changes."""
    from openbadges.verifier import verifier
    from openbadges.verifier.tasks import input as input_tasks

    def text(unbake):
        def unbake_as_text(image_file):
            data = unbake(image_file)
            return data.decode("utf-8") if isinstance(data, bytes) else data

        return unbake_as_text

    verifier.unbake = text(verifier.unbake)
    input_tasks.unbake = text(input_tasks.unbake)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="hosted assertion URL, or path of a baked PNG/SVG")
    parser.add_argument("--email", help="the recipient's expected email address")
    parser.add_argument(
        "--contexts",
        type=Path,
        default=Path(os.environ.get("OPENBADGES_CONTEXTS_DIR") or DEFAULT_CONTEXTS),
        help="folder of the Open Badges JSON-LD contexts (default: %(default)s)",
    )
    args = parser.parse_args(argv)

    for name in list(os.environ):  # requests would send even loopback requests to a proxy
        if name.lower() in {"http_proxy", "https_proxy", "all_proxy"}:
            del os.environ[name]
    contexts = load_contexts(args.contexts)
    guard_sockets()
    patch_requests(contexts)
    install_document_loader(contexts)
    text_from_unbake()

    from openbadges.verifier import verify

    profile = {"email": args.email} if args.email else None
    if args.input.startswith(("http://", "https://")):
        report = verify(args.input, recipient_profile=profile)
    else:
        with open(args.input, "rb") as badge:
            report = verify(badge, recipient_profile=profile)
    json.dump(report, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
