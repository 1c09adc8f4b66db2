"""Issue 10: a flow file is untrusted input. What a flow may touch, enforced at run time.

Items 1 and 10 (retrieve sources and dead letters stay inside the flow file's folder),
item 2 (no schema fetches: only local `$ref`s), item 9 (redacted fields in no output) and
item 13 (the OTLP exporter's URL and logs). Each is reproduced through `flowgen run` (or
the telemetry it builds) and must end in one clear, positioned line, exit 2.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app

runner = CliRunner()

FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: boundary
trigger:
  type: webhook
  path: /hooks/t
  event_schema:
    type: object
    required: [id]
    properties:
      id: {type: string}
  example: {id: "T-1"}
steps:
  - id: docs
    type: retrieve
    query: "{{ event.id }}"
    sources:
      - {path: "docs/*.md", version: "2026-12-06"}
    timeout: 150ms
respond:
  needs: [docs]
  body: {found: "{{ steps.docs.output | length }}"}
on_error:
  dead_letter: {path: .flowgen/dead-letter.jsonl}
"""


def write_flow(folder: Path, text: str = FLOW, **replace: str) -> Path:
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    (folder / "docs").mkdir(exist_ok=True)
    (folder / "docs" / "faq.md").write_text("# FAQ\n\nT-1 resets passwords.\n")
    path = folder / "flow.yaml"
    path.write_text(text)
    return path


def run(path: Path, *args: str):
    return runner.invoke(app, ["run", str(path), "--instant", *args])


def one_positioned_line(result, path: Path, line: int) -> str:
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"{path}:{line}:"), err
    return err


# ---------------------------------------------------------------------------- items 1, 10


@pytest.mark.parametrize(
    "source",
    ["/proc/self/environ", "../../../../etc/passwd", "/etc/*", "docs/../../outside.md"],
)
def test_retrieve_source_outside_the_flow_folder_is_refused(tmp_path, source):
    path = write_flow(tmp_path, **{"docs/*.md": source})
    result = run(path)
    err = one_positioned_line(result, path, 18)
    assert "inside the flow file's folder" in err
    assert "PATH=" not in result.output and "root:" not in result.output


def test_retrieve_source_through_a_symlink_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# Secret\n\nT-1 TOPSECRET-VALUE\n")
    flow_dir = tmp_path / "flow"
    flow_dir.mkdir()
    path = write_flow(flow_dir, **{"docs/*.md": "linked/*.md"})
    (flow_dir / "linked").symlink_to(outside, target_is_directory=True)
    result = run(path)
    err = one_positioned_line(result, path, 18)
    assert "symlink" in err
    assert "TOPSECRET" not in result.output
    lint = runner.invoke(app, ["lint", str(path), "--select", "FG710", "--format", "json"])
    findings = [f for file in json.loads(lint.stdout)["files"] for f in file["findings"]]
    assert [(f["code"], f["line"]) for f in findings] == [("FG710", 18)]


@pytest.mark.parametrize("dead_letter", ["../outside/dl.jsonl", "ABSOLUTE"])
def test_dead_letter_outside_the_flow_folder_is_refused(tmp_path, dead_letter):
    flow_dir = tmp_path / "flow"
    flow_dir.mkdir()
    target = tmp_path / "outside" / "dl.jsonl"
    value = str(target) if dead_letter == "ABSOLUTE" else dead_letter
    path = write_flow(flow_dir, **{".flowgen/dead-letter.jsonl": value})
    err = one_positioned_line(run(path), path, 24)
    assert "dead-letter path" in err
    assert not target.parent.exists()


def test_dead_letter_through_a_symlinked_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    flow_dir = tmp_path / "flow"
    flow_dir.mkdir()
    (flow_dir / ".flowgen").symlink_to(outside, target_is_directory=True)
    path = write_flow(flow_dir)
    err = one_positioned_line(run(path), path, 24)
    assert "symlink" in err


def test_dead_letter_never_appends_to_an_unrelated_file(tmp_path):
    path = write_flow(tmp_path, **{".flowgen/dead-letter.jsonl": "notes.txt"})
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    err = one_positioned_line(run(path), path, 24)
    assert "not a dead-letter file" in err
    assert notes.read_text() == "my notes\n"
    # a file that is a dead-letter file already is appended to
    notes.write_text(json.dumps({"time": "t", "flow": "f", "event": {}, "error": "e"}) + "\n")
    assert run(path).exit_code == 0


TRACED = FLOW + "observability:\n  tracing: {exporter: jsonl, path: .flowgen/trace.jsonl}\n"


@pytest.mark.parametrize("trace", ["../victim.txt", "ABSOLUTE", "linked/trace.jsonl", "other.yaml"])
def test_the_flows_own_trace_file_outside_the_folder_or_unrelated_is_refused(tmp_path, trace):
    """Items 10/17: `observability.tracing.path` is held to the boundary at run time too."""
    flow_dir = tmp_path / "flow"
    flow_dir.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (flow_dir / "linked").symlink_to(tmp_path, target_is_directory=True)
    other = flow_dir / "other.yaml"
    other.write_text("name: other\n")
    value = str(victim) if trace == "ABSOLUTE" else trace
    path = write_flow(flow_dir, TRACED, **{".flowgen/trace.jsonl": value})
    result = run(path)
    err = one_positioned_line(result, path, 26)
    assert "trace file" in err or "not a span file" in err, err
    assert victim.read_text() == "precious\n" and other.read_text() == "name: other\n"
    assert not (tmp_path / "trace.jsonl").exists()
    validate = runner.invoke(app, ["validate", str(path), "--format", "json"])
    errors = json.loads(validate.stdout)["files"][0]["errors"]
    assert [(e["code"], e["line"]) for e in errors] == [("FG710", 26)]


def test_the_flows_own_trace_file_is_inside_the_folder_and_appended_to(tmp_path, monkeypatch):
    """Relative to the flow file's folder (not the working directory); a span file grows."""
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    flow_dir = tmp_path / "flow"
    flow_dir.mkdir()
    path = write_flow(flow_dir, TRACED)
    assert run(path).exit_code == 0
    trace = flow_dir / ".flowgen" / "trace.jsonl"
    first = trace.read_text().splitlines()
    assert first and all(json.loads(line)["name"] for line in first)
    assert run(path).exit_code == 0
    assert len(trace.read_text().splitlines()) == 2 * len(first)
    assert not (elsewhere / ".flowgen").exists()


# ---------------------------------------------------------------------------- item 2


class CountingServer:
    """An HTTP server on 127.0.0.1 that counts requests and answers with a schema."""

    def __init__(self) -> None:
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self) -> None:
                server.requests += 1
                body = b'{"type": "object"}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/schema.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def schema_server():
    server = CountingServer()
    yield server
    server.close()


SCHEMA_AT = """\
  event_schema:
    type: object
    required: [id]
    properties:
      id: {type: string}
"""


@pytest.mark.parametrize(
    "schema",
    [
        "  event_schema: {$ref: 'URL'}\n",
        "  event_schema: {$id: 'URL', $ref: 'other.json'}\n",
        "  event_schema: {$ref: 'file:///etc/passwd'}\n",
        "  event_schema: {type: object, properties: {id: {$ref: 'URL#/properties'}}}\n",
    ],
    ids=["http-ref", "id-relative-ref", "file-ref", "nested-ref"],
)
def test_schema_refs_are_never_fetched(tmp_path, schema_server, schema):
    path = write_flow(tmp_path, **{SCHEMA_AT: schema.replace("URL", schema_server.url)})
    result = run(path)
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err and "FG711" in err, err
    assert err.startswith(f"{path}:7:"), err
    validate = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert validate.exit_code == 1 and "FG711" in validate.stdout
    lint = runner.invoke(app, ["lint", str(path), "--select", "FG711"])
    assert lint.exit_code == 1 and "FG711" in lint.stdout
    assert schema_server.requests == 0


def test_output_schema_ref_is_never_fetched(tmp_path, schema_server):
    text = FLOW.replace(
        "    timeout: 150ms\n",
        f"    timeout: 150ms\n  - id: shape\n    type: transform\n    needs: [docs]\n"
        f"    output: {{n: 1}}\n    output_schema: {{$ref: '{schema_server.url}'}}\n",
    )
    path = write_flow(tmp_path, text)
    result = run(path)
    assert result.exit_code == 2 and "FG711" in result.stderr, result.output
    assert schema_server.requests == 0


def test_self_referencing_schema_is_one_clear_error(tmp_path):
    path = write_flow(tmp_path, **{SCHEMA_AT: "  event_schema: {$ref: '#'}\n"})
    result = run(path)
    err = one_positioned_line(result, path, 7)
    assert "leads back to itself" in err and "RecursionError" not in result.output


def test_the_validator_registry_retrieves_nothing():
    """Defence in depth: a validator built without the static check still fetches nothing."""
    from jsonschema import Draft202012Validator

    from copilot.errors import FlowgenError
    from copilot.flow.local_schema import first_error, local_registry

    server = CountingServer()
    try:
        validator = Draft202012Validator({"$ref": server.url}, registry=local_registry())
        with pytest.raises(FlowgenError, match="cannot be resolved"):
            first_error(validator, {})
        loop = Draft202012Validator({"$ref": "#"}, registry=local_registry())
        with pytest.raises(FlowgenError, match="without end"):
            first_error(loop, {})
    finally:
        server.close()
    assert server.requests == 0


# ---------------------------------------------------------------------------- item 9

REDACTED_FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: redaction
trigger:
  type: webhook
  path: /hooks/t
  event_schema:
    type: object
    required: [id, ssn]
    properties:
      id: {type: string}
      ssn: {type: string, pattern: "^[0-9]{3}-[0-9]{2}-[0-9]{4}$"}
  example: {id: "T-1", ssn: "123-45-6789"}
  idempotency_key: "{{ event.id }}:{{ event.ssn }}"
steps:
  - id: check
    type: validate
    input: "{{ event.ssn }}"
    output_schema: {type: string, pattern: "^X"}
    on_fail: {action: dead_letter}
respond:
  needs: [check]
  body: {ok: true}
on_error:
  dead_letter: {path: .flowgen/dead-letter.jsonl}
observability:
  redact: [event.ssn]
"""


def _every_output(result, *files: Path) -> str:
    texts = [result.stdout, result.stderr]
    texts += [f.read_text() for f in files if f.exists()]
    return "\n".join(texts)


def test_a_schema_violation_does_not_print_a_redacted_value(tmp_path):
    path = write_flow(tmp_path, REDACTED_FLOW)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"id": "T-1", "ssn": "999-99-999X"}))
    trace = tmp_path / "spans.jsonl"
    result = run(path, "--event", str(event), "--trace", str(trace))
    assert result.exit_code == 2
    assert "does not match" in result.stderr
    assert "999-99-999X" not in _every_output(result, trace)


def test_redacted_fields_reach_no_output_of_a_failing_run(tmp_path):
    path = write_flow(tmp_path, REDACTED_FLOW)
    trace = tmp_path / "spans.jsonl"
    result = run(path, "--trace", str(trace))
    dead = tmp_path / ".flowgen" / "dead-letter.jsonl"
    assert dead.exists(), result.output
    record = json.loads(dead.read_text().splitlines()[0])
    assert record["event"]["ssn"] == "[redacted]" and record["redacted"] == ["event.ssn"]
    assert record["error"]  # the failure is still explained
    for fmt in ((), ("--format", "json")):
        again = run(path, "--trace", str(trace), *fmt)
        assert "123-45-6789" not in _every_output(again, trace, dead), "a redacted value leaked"
    assert "123-45-6789" not in _every_output(result, trace, dead)


DERIVED_FLOW = """\
apiVersion: flowgen/v1
kind: Flow
name: derived
trigger:
  type: webhook
  path: /hooks/t
  event_schema:
    type: object
    required: [id, ssn]
    properties: {id: {type: string}, ssn: {type: string}}
  example: {id: "T-1", ssn: "123-45-6789"}
steps:
  - id: digits
    type: transform
    output: {v: "{{ event.ssn|replace('-','') }}-{{ event.ssn[::-1] }}"}
  - id: shape
    type: transform
    needs: [digits]
    output: {v: "{{ steps.digits.output.v }}"}
    output_schema: {type: object, properties: {v: {type: integer}}}
  - id: copy
    type: validate
    needs: [digits]
    input: "{{ steps.digits.output }}"
    output_schema: {type: object, properties: {v: {type: string, maxLength: 3}}}
    on_fail: {action: fail}
respond:
  needs: [shape, copy]
  body: {ok: true}
on_error:
  dead_letter: {path: .flowgen/dead-letter.jsonl}
observability:
  redact: [event.ssn]
  tracing: {exporter: jsonl, path: .flowgen/spans.jsonl}
"""


@pytest.mark.parametrize("fmt", [(), ("--format", "json")])
def test_values_derived_from_a_redacted_field_reach_no_output(tmp_path, fmt):
    """Item 9: a step whose templates read a redacted field (or a tainted step) is tainted:
    its output is hidden whole in errors, the timeline, spans and the dead letter."""
    path = write_flow(tmp_path, DERIVED_FLOW)
    trace = tmp_path / "trace.jsonl"
    result = run(path, "--trace", str(trace), *fmt)
    dead = tmp_path / ".flowgen" / "dead-letter.jsonl"
    spans = tmp_path / ".flowgen" / "spans.jsonl"
    assert result.exit_code == 1 and dead.exists() and spans.exists(), result.output
    everything = _every_output(result, trace, dead, spans)
    for form in ("123456789", "9876-54-321", "123-45-6789"):
        assert form not in everything, f"{form} leaked"
    assert "is not of type 'integer'" in everything  # the failure is still explained
    assert "[redacted]" in dead.read_text()


# ---------------------------------------------------------------------------- item 13


def test_otlp_url_keeps_the_query_after_the_path():
    from copilot.run.telemetry import traces_url

    assert traces_url("https://otel.example.com/?token=X") == "https://otel.example.com/v1/traces?token=X"
    assert traces_url("https://otel.example.com?token=X") == "https://otel.example.com/v1/traces?token=X"
    assert traces_url("https://otel.example.com/otlp") == "https://otel.example.com/otlp/v1/traces"
    assert traces_url("https://h/v1/traces?token=X") == "https://h/v1/traces?token=X"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_failing_otlp_exporter_does_not_log_its_token(tmp_path, monkeypatch, caplog):
    from copilot.flow.load import load_flow_text
    from copilot.run.telemetry import Telemetry

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1.5")
    endpoint = f"http://127.0.0.1:{_closed_port()}/?token=S3CRET-OTLP-TOKEN"
    flow = load_flow_text(
        FLOW + "observability:\n  tracing: {exporter: otlp, endpoint: '${env:OTLP_URL}'}\n", "f.yaml"
    ).flow
    telemetry = Telemetry.for_flow(flow, environ={**os.environ, "OTLP_URL": endpoint})
    assert telemetry is not None
    with caplog.at_level(logging.DEBUG):
        span = telemetry.tracer.start_span("x")
        span.end()
        telemetry.shutdown()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged, "the exporter reported nothing: the test did not exercise a failure"
    assert "S3CRET-OTLP-TOKEN" not in logged
    assert "export" in logged
