"""Landing zones, building blocks and Terraform: files outside the environment folders.

Each kind has a revision counter; an operator change bumps it and the files of that kind are
re-rendered. They are not in any environment's change population, which is the point: they show
that only environment paths are audited as changes to an environment.
"""

from __future__ import annotations

from generator.demo.content import emit
from generator.demo.installations import InstallationSpec

KINDS = ("landing-zone", "building-block", "terraform")

_REGIONS = {"aws": "eu-central-1", "azure": "germanywestcentral", "openstack": "fra-1"}
_TERRAFORM_VERSIONS = ("1.4.2", "1.6.0", "1.8.1")


def _landing_zones(spec: InstallationSpec, revision: int) -> dict[str, str]:
    files = {}
    for cloud in spec.clouds:
        for stage in ("sandbox", "production") if cloud != "openstack" else ("development",):
            policies = ["deny-public-ip", "require-encryption-at-rest"]
            if revision >= 1:
                policies.append(f"allowed-regions:{_REGIONS[cloud]}")
            if revision >= 2 and stage == "production":
                policies.append("require-cost-center-tag")
            tree = {
                "landing_zone": {
                    "name": f"{cloud}-{stage}",
                    "platform": cloud,
                    "region": _REGIONS[cloud],
                    "policies": ", ".join(policies),
                    "revision": revision + 1,
                }
            }
            files[f"landing-zones/{cloud}-{stage}.yaml"] = emit(tree)
    return files


def _building_blocks(spec: InstallationSpec, revision: int) -> dict[str, str]:
    cloud = spec.clouds[0]
    name = "s3-bucket" if cloud == "aws" else "key-vault"
    files = {
        f"building-blocks/{cloud}-budget-alert.yaml": emit(
            {"building_block": {"name": f"{cloud}-budget-alert", "inputs": "budget_eur, email"}}
        )
    }
    if revision >= 1:
        inputs = ["name", "owner"]
        if revision >= 2:
            inputs.append("encryption" if cloud == "aws" else "private_endpoint")
        block = {
            "building_block": {"name": name, "inputs": ", ".join(inputs), "revision": revision}
        }
        files[f"building-blocks/{cloud}-{name}.yaml"] = emit(block)
    return files


def _terraform(spec: InstallationSpec, revision: int) -> dict[str, str]:
    version = _TERRAFORM_VERSIONS[min(revision, len(_TERRAFORM_VERSIONS) - 1)]
    modules = "\n".join(
        f'module "meshstack_{cloud}" {{\n'
        f'  source  = "meshcloud/meshstack-integration/{cloud}"\n'
        f'  version = "{version}"\n'
        f"  region  = var.{cloud}_region\n"
        "}\n"
        for cloud in spec.clouds
    )
    variables = "\n".join(
        f'variable "{cloud}_region" {{\n  type    = string\n  default = "{_REGIONS[cloud]}"\n}}\n'
        for cloud in spec.clouds
    )
    header = f"# meshStack integration for {spec.customer}\n"
    return {
        "infrastructure/terraform/main.tf": header + modules,
        "infrastructure/terraform/variables.tf": variables,
    }


def platform_files(spec: InstallationSpec, revisions: dict[str, int]) -> dict[str, str]:
    return {
        **_landing_zones(spec, revisions.get("landing-zone", 0)),
        **_building_blocks(spec, revisions.get("building-block", 0)),
        **_terraform(spec, revisions.get("terraform", 0)),
    }
