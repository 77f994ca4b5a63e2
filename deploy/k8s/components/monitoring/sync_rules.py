"""Write prometheusrule.yaml from deploy/prometheus/rules/hadir.rules.yml (the one source of the rules).

    .venv/bin/python deploy/k8s/components/monitoring/sync_rules.py

tests/deploy/test_k8s_manifests.py fails when the two disagree.
"""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
RULES = HERE.parents[2] / "prometheus" / "rules" / "hadir.rules.yml"
TARGET = HERE / "prometheusrule.yaml"
HEADER = """\
# Generated from deploy/prometheus/rules/hadir.rules.yml by sync_rules.py: edit the rules there.
# For the Prometheus Operator (kube-prometheus-stack); its ruleSelector may need the `release` label.
"""


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def render() -> str:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    resource = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "hadir", "labels": {"app.kubernetes.io/part-of": "hadir"}},
        "spec": {"groups": groups},
    }
    return HEADER + yaml.dump(resource, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(TARGET)
