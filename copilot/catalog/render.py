"""`flowgen models`: the catalog as a table or JSON."""

from __future__ import annotations

import json
from typing import Any

from copilot.catalog import Catalog


def catalog_rows(catalog: Catalog, tier: str | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []  # JSON rows (`flowgen models --format json`)
    for m in catalog.entries():
        if tier and m.tier != tier:
            continue
        rows.append(
            {
                "id": m.id,
                "provider": m.provider,
                "model": m.model,
                "tier": m.tier,
                "snapshot": m.snapshot,
                "latency_p50_ms": round(m.p50 * 1000),
                "latency_p95_ms": round(m.p95 * 1000),
                "latency_is_estimate": m.estimated,
                "input_per_mtok": m.input_per_mtok,
                "output_per_mtok": m.output_per_mtok,
                "context_window": m.context_window,
                "rpm": m.rpm,
                "tpm": m.tpm,
                "as_of": m.as_of,
            }
        )
    order = {"fast": 0, "balanced": 1, "heavy": 2}
    rows.sort(key=lambda r: (order.get(r["tier"], 3), r["provider"], r["latency_p95_ms"]))
    return rows


def render_catalog(catalog: Catalog, fmt: str, *, tier: str | None, out: Any) -> None:
    rows = catalog_rows(catalog, tier)
    if fmt == "json":
        document = {"version": 1, "as_of": catalog.as_of, "sources": catalog.sources, "models": rows}
        print(json.dumps(document, indent=2))
        return
    from copilot.styled import fitted_tables

    columns = [
        ("id", "left"),
        ("tier", "left"),
        ("p50", "right"),
        ("p95", "right"),
        ("$/Mtok in", "right"),
        ("$/Mtok out", "right"),
        ("context", "right"),
        ("rpm", "right"),
        ("tpm", "right"),
        ("snapshot", "left"),
    ]
    cells = [
        [
            r["id"],
            r["tier"],
            f"{r['latency_p50_ms']} ms",
            f"{r['latency_p95_ms']} ms",
            f"{r['input_per_mtok']:g}",
            f"{r['output_per_mtok']:g}",
            f"{r['context_window']:,}" if r["context_window"] else "?",
            f"{r['rpm']:,}" if r["rpm"] else "-",
            f"{r['tpm']:,}" if r["tpm"] else "-",
            r["snapshot"] or "",
        ]
        for r in rows
    ]
    title = f"Model catalog (figures as of {catalog.as_of}; latency = estimates)"
    for table in fitted_tables(out, columns, cells, title=title):
        out.print(table)
    out.print("Latency figures are flowgen's estimates for a short realtime call; override them per alias.")
