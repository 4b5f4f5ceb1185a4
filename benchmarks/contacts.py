"""Contact search and segment members at 100,000 contacts (docs/performance.md, "Contacts
and segments").

One tenant's 100,000 contacts are inserted in bulk, each row built by the service's own
code (`contacts._store`: the document and the columns derived from it, as a create writes
them), then a real `cpol serve` (one worker) is asked, by one client over HTTP, each query
`--repeat` times after a warm-up: `GET /contacts?search=` for a few kinds of text, and
`GET /contacts/segments/{id}/members` for a dense and a sparse segment, first page and a
deep page (reached by following cursors). Latency p50 / p99 in ms.

    python benchmarks/contacts.py [--db URL] [--contacts 100000] [--repeat 100]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from cpol.server import contact_search
from cpol.server.clock import stamp
from cpol.server.contacts import _store
from cpol.server.database import make_engine, transaction
from cpol.server.models import Contact
from service import serving

Json = dict[str, Any]
FIRST = ["Ali", "Ayse", "Mehmet", "Fatma", "John", "Mary", "James", "Linda", "Ahmet", "Elif", "Can", "Deniz"]
LAST = ["Yilmaz", "Kaya", "Demir", "Smith", "Johnson", "Brown", "Celik", "Sahin", "Ozturk", "Miller"]
START = datetime(2025, 3, 1, tzinfo=UTC)
SEGMENTS = {
    "dense": {"all": [{"field": "country", "op": "eq", "value": "TR"}]},
    "sparse": {
        "all": [
            {"field": "tags", "op": "contains", "value": "vip"},
            {"field": "customFields.score", "op": "gte", "value": 90},
            {"any": [{"field": "lifecycleStage", "op": "eq", "value": "customer"},
                     {"field": "firstName", "op": "startsWith", "value": "A"}]},
        ]
    },
}  # fmt: skip
SEARCHES = {
    "a common name": "ali", "a last name": "smith", "no match": "zzqx", "phone digits": "90532000",
    "an email domain": "@mail7.", "one email": "user31337@", "2 characters (no trigram: a scan)": "al",
}  # fmt: skip
ERASED = 20


def contact(i: int, rnd: random.Random) -> Json:
    """The `i`th contact: every field, as a create would store it."""
    at = stamp(START + timedelta(seconds=300 * i))
    return {
        "id": f"con_{secrets.token_hex(8)}",
        "phone": f"+90532{i:07d}" if i % 2 else None,
        "email": f"user{i}@mail{i % 50}.example.com",
        "firstName": rnd.choice(FIRST),
        "lastName": rnd.choice(LAST),
        "country": rnd.choice(["TR", "US", "GB", "DE", "FR"]),
        "lifecycleStage": rnd.choice(["lead", "customer", "churned"]),
        "timezone": None,
        "tags": rnd.sample(["vip", "newsletter", "beta", "b2b"], rnd.randint(0, 2)),
        "customFields": {"plan": rnd.choice(["gold", "silver"]), "score": rnd.randint(0, 100)},
        "preferences": {"sms": "opted_out"} if i % 10 == 0 else {},
        "createdAt": at,
        "updatedAt": at,
    }


def insert_contacts(db_url: str, tenant: str, count: int) -> float:
    """Seconds to insert `count` contacts (and index their search texts), 5,000 rows a
    statement."""
    rnd = random.Random(12)
    engine = make_engine(db_url)
    started = time.perf_counter()
    columns = [c.key for c in Contact.__table__.columns]
    for first in range(0, count, 5000):
        made, rows = [], []
        for i in range(first, min(count, first + 5000)):
            document = contact(i, rnd)
            row = Contact(id=document["id"], tenant_id=tenant, created_at=document["createdAt"])
            row.updated_at = document["updatedAt"]
            _store(row, document)
            made.append(row)
            rows.append({name: getattr(row, name) for name in columns})
        with transaction(engine, write=True) as session:
            session.execute(insert(Contact), rows)
            contact_search.index(session, made)
    engine.dispose()
    return time.perf_counter() - started


def _get(base: str, key: str, path: str, method: str = "GET") -> tuple[float, Json]:
    """Milliseconds for the call, and its answer (`{}` when it has no body)."""
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"}, method=method)
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1000, json.loads(body) if body else {}


def measure(base: str, key: str, path: str, repeat: int) -> str:
    """`p50 / p99 ms` of `repeat` calls after 3 to warm up."""
    for _ in range(3):
        _get(base, key, path)
    times = sorted(_get(base, key, path)[0] for _ in range(repeat))
    p99 = times[min(len(times) - 1, round(len(times) * 0.99))]
    return f"{statistics.median(times):.1f} / {p99:.1f}"


def erasing(base: str, key: str) -> str:
    """`p50 / max ms` of erasing `ERASED` contacts one by one (on SQLite each merges the
    search index whole)."""
    page = _get(base, key, f"/api/v1/contacts?limit={ERASED}")[1]
    times = sorted(_get(base, key, f"/api/v1/contacts/{c['id']}", "DELETE")[0] for c in page["data"])
    return f"{statistics.median(times):.1f} / {times[-1]:.1f}"


def deep_page(base: str, key: str, path: str, pages: int) -> str:
    """The path of the `pages`th page of 100 (or the last one)."""
    cursor = None
    for _ in range(pages - 1):
        _, page = _get(base, key, f"{path}?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        if page["pagination"]["cursor"] is None:
            break
        cursor = page["pagination"]["cursor"]
    return f"{path}?limit=100" + (f"&cursor={cursor}" if cursor else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="a database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--deep", type=int, default=200, help="the deep page's number (of 100)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        db_url = options.db or f"sqlite:///{folder / 'bench.db'}"
        env = {**os.environ, "CPOL_DATABASE_URL": db_url}
        cli = [sys.executable, "-m", "cpol.cli"]
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True)
        tenant = f"bench_{secrets.token_hex(4)}"
        key = subprocess.run(
            [*cli, "keys", "create", "--tenant", tenant, "--role", "admin", "--name", tenant],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        seconds = insert_contacts(db_url, tenant, options.contacts)
        print(f"inserted {options.contacts} contacts in {seconds:.1f} s")
        with serving(db_url, 1, folder) as (base, _):
            print("| query | matches | p50 / p99 ms |\n|---|---:|---:|")
            for kind, text in SEARCHES.items():
                path = f"/api/v1/contacts?limit=25&search={urllib.parse.quote(text)}"
                total = _get(base, key, path)[1]["pagination"]["total"]
                print(f"| search: {kind} (`{text}`) | {total} | {measure(base, key, path, options.repeat)} |")
            for name, rules in SEGMENTS.items():
                made = _post(base, key, {"name": name, "rules": rules})
                path = f"/api/v1/contacts/segments/{made['id']}/members"
                total = _get(base, key, path)[1]["pagination"]["total"]
                first = measure(base, key, f"{path}?limit=100", options.repeat)
                print(f"| members: {name} segment, first page of 100 | {total} | {first} |")
                deep = measure(base, key, deep_page(base, key, path, options.deep), options.repeat)
                print(f"| members: {name} segment, page {options.deep} (or the last) | {total} | {deep} |")
            print(f"| `DELETE /contacts/{{id}}`, {ERASED} contacts | | {erasing(base, key)} |")


def _post(base: str, key: str, body: Json) -> Json:
    request = urllib.request.Request(
        base + "/api/v1/contacts/segments",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        made: Json = json.loads(response.read())
        return made


if __name__ == "__main__":
    main()
