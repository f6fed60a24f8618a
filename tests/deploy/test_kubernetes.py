"""The Kubernetes manifests (Kustomize base and overlays): rendered with kubectl's Kustomize,
valid against Kubernetes' schemas, and the same topology as Compose."""

import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from support.deployment import K8S, extensions, gateway_routes, installed_plugins, service_name

KUBERNETES_VERSION = "1.31.0"
OVERLAYS = sorted(p.parent for p in K8S.glob("overlays/*/kustomization.yaml"))
TREES = [K8S / "base", *OVERLAYS]


def render(tree: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl (with its built-in Kustomize) is needed to render deploy/k8s")
    result = subprocess.run([kubectl, "kustomize", str(tree)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=TREES, ids=lambda p: str(p.relative_to(K8S)))
def manifests(request) -> list[dict]:
    return render(request.param)


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def test_there_are_staging_and_production_overlays():
    assert {p.name for p in OVERLAYS} == {"staging", "production"}


def test_every_manifest_is_valid_for_kubernetes(manifests):
    for doc in manifests:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def _plugins_of(deployment: dict) -> list[str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    return (env.get("POS_PLUGINS") or "").split(",")


def test_one_deployment_and_service_per_plugin_with_probes_and_limits(manifests):
    deployments = of_kind(manifests, "Deployment")
    services = of_kind(manifests, "Service")
    extending = extensions()
    for plugin in extending:
        assert any(plugin in _plugins_of(deployment) for deployment in deployments.values()), (
            f"no Deployment of deploy/k8s loads {plugin}")
    for plugin in set(installed_plugins()) - set(extending):
        name = service_name(plugin)
        assert name in deployments, f"deploy/k8s has no Deployment for {plugin}"
        assert name in services, f"deploy/k8s has no Service for {plugin}"
        pod = deployments[name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert plugin in env["POS_PLUGINS"].split(",")
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]) <= set(resources["limits"])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        selector = deployments[name]["spec"]["selector"]["matchLabels"]
        assert services[name]["spec"]["selector"] == selector


def test_secrets_are_referenced_never_written_down(manifests):
    assert not of_kind(manifests, "Secret"), "Secrets are made outside the repository"
    for doc in manifests:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        secret_volumes = [v for v in pod.get("volumes", []) if "secret" in v]
        assert secret_volumes, f"{doc['metadata']['name']} reads no Secret"
        for container in pod["containers"]:
            for env in container.get("env", []):
                assert "PASSWORD" not in env["name"] and "KEY" not in env["name"] or (
                    "valueFrom" in env or env["name"].endswith("_FILE"))
    for config_map in of_kind(manifests, "ConfigMap").values():
        for key, value in config_map.get("data", {}).items():
            assert not any(w in key for w in ("PASSWORD", "SECRET", "_KEY")) or (
                key.endswith("_FILE") and value.startswith("/run/secrets/")), key


def test_a_migration_job_runs_pos_db_upgrade(manifests):
    jobs = of_kind(manifests, "Job")
    assert [job["spec"]["template"]["spec"]["containers"][0]["command"]
            for job in jobs.values()] == [["pos", "db", "upgrade"]]


def test_the_ingress_mirrors_the_gateway_routes(manifests):
    (ingress,) = of_kind(manifests, "Ingress").values()
    paths = [(p["path"], p["backend"]["service"]["name"])
             for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    # ingress-nginx anchors regex paths itself (`location ~* "^<path>"`).
    expected = [(route.pattern.lstrip("~*").removeprefix("^"), route.service)
                for route in gateway_routes()]
    assert paths == expected, "deploy/k8s/base/ingress.yaml and deploy/gateway/routes.conf differ"
    assert set(dict(paths).values()) <= set(of_kind(manifests, "Service"))


def test_the_order_path_scales_horizontally(manifests):
    deployments = of_kind(manifests, "Deployment")
    autoscalers = of_kind(manifests, "HorizontalPodAutoscaler")
    for hpa in autoscalers.values():
        target = hpa["spec"]["scaleTargetRef"]["name"]
        assert target in deployments
        assert hpa["spec"]["minReplicas"] >= 2
        # A replica count in the Deployment would undo the autoscaler's at every apply.
        assert "replicas" not in deployments[target]["spec"], f"{target} sets replicas"
    if "orders" in installed_plugins():
        targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()}
        assert "orders" in targets, "the orders Deployment needs a HorizontalPodAutoscaler"
