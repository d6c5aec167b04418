"""Client security: the settings map exactly onto kafka-python's, and TLS works for real through
`socat OPENSSL-LISTEN` in front of a Tansu broker that advertises the TLS port: with the right CA a
record goes round, with a wrong CA the connection is refused. SASL/SCRAM is checked by mapping
only: the test broker's SCRAM does not work with its in-memory storage."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition

from services.common.broker import EmbeddedBroker
from services.common.contracts import EVENTS_TOPIC
from services.common.kafka import (
    BrokerUnavailable,
    KafkaSecurityError,
    Publisher,
    client_config,
    ensure_topics,
    make_producer,
)
from services.common.net import free_port
from services.common.settings import CommonSettings


def test_sasl_over_tls_settings_map_exactly_onto_the_client(monkeypatch, tmp_path):
    (tmp_path / "password").write_text("s3cret-from-the-secret\n")
    (tmp_path / "ca.crt").write_text("not parsed here")
    for key, value in {"KAFKA_BOOTSTRAP": "kafka-bootstrap:9093,k2:9093", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                       "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "wirewatch-extract",
                       "KAFKA_SASL_PASSWORD_FILE": str(tmp_path / "password"),
                       "KAFKA_SSL_CAFILE": str(tmp_path / "ca.crt")}.items():
        monkeypatch.setenv(f"WIREWATCH_{key}", value)
    assert client_config(CommonSettings(), "extract") == {
        "bootstrap_servers": ["kafka-bootstrap:9093", "k2:9093"],
        "client_id": "wirewatch-extract",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "wirewatch-extract",
        "sasl_plain_password": "s3cret-from-the-secret",
        "ssl_cafile": str(tmp_path / "ca.crt"),
        "ssl_check_hostname": True,
    }
    # a rotated Secret is read by the next client made
    (tmp_path / "password").write_text("rotated")
    assert client_config(CommonSettings(), "store")["sasl_plain_password"] == "rotated"


def test_plaintext_maps_to_no_security_options(monkeypatch):
    monkeypatch.setenv("WIREWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    assert client_config(CommonSettings(), "ingest") == {
        "bootstrap_servers": ["127.0.0.1:9092"], "client_id": "wirewatch-ingest", "security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize(("env", "kind"), [
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"}, "sasl_incomplete"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
      "KAFKA_SASL_USERNAME": "u"}, "sasl_incomplete"),
    ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "u",
      "KAFKA_SASL_PASSWORD_FILE": "/nonexistent/password"}, "sasl_password_file"),
    ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": "/nonexistent/ca.crt"}, "ssl_cafile"),
    ({"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512"}, "sasl_without_protocol"),
])
def test_incomplete_or_unreadable_security_settings_fail_with_a_clear_kind(monkeypatch, env, kind):
    monkeypatch.setenv("WIREWATCH_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    for key, value in env.items():
        monkeypatch.setenv(f"WIREWATCH_{key}", value)
    with pytest.raises(KafkaSecurityError) as info:
        client_config(CommonSettings(), "x")
    assert info.value.kind == kind


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(directory: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
             "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=directory)


@pytest.fixture
def certificates(tmp_path) -> Path:
    if shutil.which("openssl") is None or shutil.which("socat") is None:
        pytest.fail("openssl and socat are needed (scripts/install-system-packages.sh installs them)")
    _make_ca(tmp_path, "ca")
    _make_ca(tmp_path, "wrong-ca")
    (tmp_path / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
             "-out", "server.csr", cwd=tmp_path)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "1", "-extfile", "san.ext", "-out", "server.crt", cwd=tmp_path)
    return tmp_path


@pytest.fixture
def tls_bootstrap(certificates):
    """A Tansu broker behind socat's TLS listener; the broker advertises the TLS port."""
    tls_port = free_port()
    with EmbeddedBroker(advertised_port=tls_port) as broker:
        proxy = subprocess.Popen(
            ["socat", f"OPENSSL-LISTEN:{tls_port},bind=127.0.0.1,reuseaddr,fork,verify=0,"
                      f"cert={certificates / 'server.crt'},key={certificates / 'server.key'}",
             f"TCP:127.0.0.1:{broker.port}"], stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", tls_port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield f"127.0.0.1:{tls_port}"
        finally:
            proxy.kill()
            proxy.wait(5)


def _tls_settings(monkeypatch, bootstrap: str, cafile: Path) -> CommonSettings:
    monkeypatch.setenv("WIREWATCH_KAFKA_BOOTSTRAP", bootstrap)
    monkeypatch.setenv("WIREWATCH_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("WIREWATCH_KAFKA_SSL_CAFILE", str(cafile))
    return CommonSettings()


def test_a_record_goes_round_over_tls_with_the_right_ca(monkeypatch, certificates, tls_bootstrap):
    settings = _tls_settings(monkeypatch, tls_bootstrap, certificates / "ca.crt")
    ensure_topics(settings, [EVENTS_TOPIC], timeout_s=20)
    pub = Publisher(make_producer(settings, "tls-test"))
    pub.send(EVENTS_TOPIC, "k", b"over tls")
    pub.flush()
    pub.close()
    ((tp, end),) = pub.acked.items()
    consumer = KafkaConsumer(**client_config(settings, "tls-test"), enable_auto_commit=False)
    consumer.assign([tp])
    consumer.seek(tp, end - 1)
    values, deadline = [], time.monotonic() + 10
    while not values and time.monotonic() < deadline:
        values = [r.value for records in consumer.poll(500).values() for r in records]
    consumer.close()
    assert values == [b"over tls"] and isinstance(tp, TopicPartition)


def test_a_wrong_ca_is_refused_with_a_clear_error(monkeypatch, certificates, tls_bootstrap, caplog):
    settings = _tls_settings(monkeypatch, tls_bootstrap, certificates / "wrong-ca.crt")
    with pytest.raises(BrokerUnavailable):
        ensure_topics(settings, [EVENTS_TOPIC], timeout_s=5)
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text or "certificate verify failed" in caplog.text
