"""The Kubernetes manifests in deploy/: valid against the Kubernetes JSON schemas, offline, and
consistent with each other and with the production contract (contract 6 in DESIGN.md).

Schemas: the PyPI package `kubernetes-validate` (pinned 1.28.3, the last release that works with
the jsonschema 4.17 Rasa pins), which ships the Kubernetes JSON schemas; validated in strict mode
(unknown fields are errors) against Kubernetes 1.28. No network: connecting anywhere but loopback
fails the test.
"""
from __future__ import annotations

import copy
import socket
from pathlib import Path

import pytest
import yaml

from bot.production import REQUIRED_ENV

kubernetes_validate = pytest.importorskip("kubernetes_validate")

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.28"


def _documents() -> list[tuple[str, dict]]:
    found = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                found.append((path.name, doc))
    return found


DOCS = [(name, doc) for name, doc in _documents() if doc.get("kind") != "Kustomization"]


def _by_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in DOCS if doc["kind"] == kind}


def _pod_spec(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def _env_names(container: dict, config_maps: dict, secrets: dict) -> set[str]:
    names = {item["name"] for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(config_maps[source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:
            names |= set(secrets[source["secretRef"]["name"]]["stringData"])
    return names


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Validation must work without a network: any non-loopback connection fails the test."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")):
            raise AssertionError(f"network access during manifest validation: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.mark.parametrize("name,doc", DOCS, ids=[f"{n}:{d['kind']}/{d['metadata']['name']}" for n, d in DOCS])
def test_manifest_is_valid_kubernetes(name, doc):
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_validator_rejects_broken_manifests():
    """The check has teeth: an unknown field, a wrong type and a missing required field fail."""
    deployment = copy.deepcopy(_by_kind("Deployment")["wegwijzer-rasa"])
    broken = copy.deepcopy(deployment)
    broken["spec"]["replicaz"] = 2
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["replicas"] = "twee"
    missing = copy.deepcopy(deployment)
    del missing["spec"]["selector"]
    for doc in (broken, wrong_type, missing):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_example_secret():
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    files = {path.name for path in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files - {"secret.example.yaml"}
    for resource in kustomization["resources"]:
        assert (DEPLOY / resource).exists(), resource


def test_rasa_and_action_servers_are_replicated_autoscaled_and_probed():
    deployments = _by_kind("Deployment")
    assert set(deployments) == {"wegwijzer-rasa", "wegwijzer-actions"}
    hpas = _by_kind("HorizontalPodAutoscaler")
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in hpas.values()}
    assert targets == set(deployments)
    for hpa in hpas.values():
        assert hpa["spec"]["minReplicas"] >= 2
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2, name
        (container,) = _pod_spec(deployment)["containers"]
        port = container["ports"][0]["containerPort"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"]["path"] == "/health", (name, probe)
            assert container[probe]["httpGet"]["port"] in ("http", port), (name, probe)
        assert "memory" in container["resources"]["limits"], name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_no_rasa_http_api_is_exposed():
    for name, doc in DOCS:
        if doc["kind"] not in ("Deployment", "CronJob"):
            continue
        for container in _pod_spec(doc)["containers"]:
            command = container.get("command", []) + container.get("args", [])
            assert "--enable-api" not in command, name
            assert "api" not in command[:2], f"{name}: the operator API is not deployed"
    rasa = _pod_spec(_by_kind("Deployment")["wegwijzer-rasa"])["containers"][0]
    assert rasa["command"] + rasa["args"][:2] == ["wegwijzer", "serve", "--production"]
    ingress = _by_kind("Ingress")["wegwijzer"]
    paths = {p["path"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert paths == {"/webhooks/rest/webhook", "/static"}


def test_services_select_their_deployments_and_databases_are_external():
    services = _by_kind("Service")
    deployments = _by_kind("Deployment")
    for name, service in services.items():
        if service["spec"].get("type") == "ExternalName":
            continue
        selector = service["spec"]["selector"]
        matches = [
            d for d in deployments.values()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matches) == 1, name
        container = _pod_spec(matches[0])["containers"][0]
        port_names = {p["name"] for p in container["ports"]}
        assert all(p["targetPort"] in port_names for p in service["spec"]["ports"]), name
    external = {n for n, s in services.items() if s["spec"].get("type") == "ExternalName"}
    config = _by_kind("ConfigMap")["wegwijzer-config"]["data"]
    assert {config["POSTGRES_HOST"], config["REDIS_HOST"]} <= external
    assert config["ACTION_SERVER_URL"] == "http://wegwijzer-actions:5055/webhook"
    assert "wegwijzer-actions" in services


def test_every_process_gets_the_settings_it_needs_and_secrets_come_from_a_secret():
    config_maps = _by_kind("ConfigMap")
    secrets = _by_kind("Secret")
    assert set(secrets) == {"wegwijzer-secrets"}
    secret_keys = set(secrets["wegwijzer-secrets"]["stringData"])
    needs = {
        "wegwijzer-rasa": set(REQUIRED_ENV),
        "wegwijzer-actions": {"WEGWIJZER_DATABASE_URL", "WEGWIJZER_MUNICIPALITIES_DIR",
                              "WEGWIJZER_ACTION_TOKEN"},
        "wegwijzer-purge": set(REQUIRED_ENV) | {"WEGWIJZER_DATABASE_URL"},
    }
    workloads = {**_by_kind("Deployment"), **_by_kind("CronJob")}
    for name, required in needs.items():
        (container,) = _pod_spec(workloads[name])["containers"]
        missing = required - _env_names(container, config_maps, secrets)
        assert not missing, f"{name} lacks {sorted(missing)}"
        for item in container.get("env", []):
            if "PASSWORD" in item["name"] or item["name"] in (
                "WEGWIJZER_DATABASE_URL", "POSTGRES_USER", "WEGWIJZER_ACTION_TOKEN"
            ):
                ref = item["valueFrom"]["secretKeyRef"]
                assert ref["name"] == "wegwijzer-secrets" and ref["key"] in secret_keys, item
    for config_map in config_maps.values():
        for key in config_map["data"]:
            assert "PASSWORD" not in key and "DATABASE_URL" not in key and "TOKEN" not in key, key


def test_the_action_server_is_never_exposed_and_the_chat_is_bounded():
    services = _by_kind("Service")
    assert services["wegwijzer-actions"]["spec"]["type"] == "ClusterIP"
    ingress = _by_kind("Ingress")["wegwijzer"]
    backends = {p["backend"]["service"]["name"]
                for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert "wegwijzer-actions" not in backends
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "16k"
    assert "nginx.ingress.kubernetes.io/limit-rps" in annotations
    rasa = _pod_spec(_by_kind("Deployment")["wegwijzer-rasa"])["containers"][0]
    cors = rasa["args"][rasa["args"].index("--cors") + 1]
    assert cors.startswith("https://") and "*" not in cors


def test_municipality_config_map_holds_valid_municipality_files(tmp_path, monkeypatch):
    from bot import municipalities

    data = _by_kind("ConfigMap")["wegwijzer-municipalities"]["data"]
    assert data and all(key.endswith(".yml") for key in data)
    for key, text in data.items():
        (tmp_path / key).write_text(text, encoding="utf-8")
    loaded = municipalities._load(str(tmp_path))
    assert set(loaded) == {key[:-4] for key in data}
    mount = next(
        m for m in _pod_spec(_by_kind("Deployment")["wegwijzer-actions"])["containers"][0]["volumeMounts"]
        if m["name"] == "municipalities"
    )
    assert mount["mountPath"] == _by_kind("ConfigMap")["wegwijzer-config"]["data"]["WEGWIJZER_MUNICIPALITIES_DIR"]
