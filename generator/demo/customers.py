"""The two example customers of the managed service and what their operators change when.

Acme runs on AWS; its release versions are read from the production config file. Globex runs on
Azure and OpenStack; its production releases are read from annotated tags the pipeline sets when
a promotion is merged. Dates of operator changes and document updates are fixed here.
"""

from __future__ import annotations

from generator.demo.installations import (
    AYLIN,
    JONAS,
    LENA,
    TOBIAS,
    InstallationSpec,
    OtherChange,
    day,
    doc_dates,
    setting_change,
)
from generator.demo.model import Person

_COMMON_SETTINGS: dict[str, object] = {
    "logging.enabled": True,
    "logging.retention_days": 90,
    "monitoring.alerting.enabled": True,
    "monitoring.alerting.share_with_customer": False,
    "backup.enabled": True,
    "backup.retention_days": 30,
    "backup.schedule": "0 2 * * *",
    "access.vpn.required": True,
    "access.role_bindings.four_eyes": False,
    "access.role_bindings.max_expiry_days": 90,
    "encryption.credentials.kms": False,
    "soc.forwarding.enabled": False,
    "replication.interval_minutes": 60,
    "broker.token_cache_minutes": 5,
    "broker.session_timeout_minutes": 480,
}

ACME = InstallationSpec(
    name="acme",
    customer="Acme Corporation",
    domain="acme.example",
    clouds=("aws",),
    operators=(LENA, JONAS, TOBIAS),
    approvers=(
        Person("Jane Doe", "jane.doe@acme.example"),
        Person("Marcus Webb", "marcus.webb@acme.example"),
    ),
    exception_approver="Rachel Stone (CISO, Acme Corporation)",
    customer_merges=False,
    production_release="file",
    settings={
        **_COMMON_SETTINGS,
        "logging.destination": "cloudwatch://acme-meshstack-audit",
        "monitoring.alerting.channel": "opsgenie:meshcloud-acme",
        "identity.federation.protocol": "saml",
        "identity.federation.issuer": "https://sso.acme.example/saml2/meshstack",
        "soc.forwarding.target": "splunk-hec://soc.acme.example:8088",
    },
    changes=(
        setting_change(
            "2024-08-14",
            "2024-08-21",
            "share-alerts",
            "Share meshStack alerts with Acme operations",
            "Acme's operations team receives platform alerts in its own Opsgenie team.",
            monitoring__alerting__share_with_customer=True,
        ),
        setting_change(
            "2024-10-09",
            "2024-10-16",
            "four-eyes-role-bindings",
            "Require four-eyes approval for role bindings",
            "Privileged role bindings now need a second approver (Acme security baseline v3).",
            access__role_bindings__four_eyes=True,
        ),
        setting_change(
            "2024-11-20",
            "2024-11-27",
            "audit-log-retention",
            "Keep audit logs for 365 days",
            "Retention raised from 90 to 365 days to meet Acme's log retention policy.",
            logging__retention_days=365,
        ),
        setting_change(
            "2025-02-12",
            "2025-02-19",
            "kms-credentials",
            "Encrypt platform credentials with AWS KMS",
            "Replication credentials are now envelope-encrypted with a customer-managed KMS key.",
            encryption__credentials__kms=True,
        ),
        setting_change(
            "2025-04-09",
            "2025-04-16",
            "soc-forwarding",
            "Forward audit events to Acme's SOC",
            "meshStack audit events are forwarded to Acme's Splunk HEC endpoint.",
            soc__forwarding__enabled=True,
        ),
        setting_change(
            "2025-06-04",
            "2025-06-11",
            "replication-30m",
            "Replicate tenants every 30 minutes",
            "Shorter replication interval so access changes reach AWS sooner.",
            replication__interval_minutes=30,
        ),
        setting_change(
            "2025-08-20",
            "2025-08-27",
            "backup-window",
            "Move the nightly backup to 01:30",
            "The backup window no longer overlaps Acme's nightly AWS Config snapshot.",
            backup__schedule="30 1 * * *",
        ),
        setting_change(
            "2025-10-15",
            "2025-10-22",
            "role-binding-expiry-60d",
            "Expire role bindings after 60 days",
            "Temporary role bindings now expire after 60 instead of 90 days.",
            access__role_bindings__max_expiry_days=60,
        ),
        setting_change(
            "2025-11-12",
            "2025-11-19",
            "alert-channel",
            "Route alerts to the new Opsgenie team",
            "Acme merged its two platform on-call rotations.",
            monitoring__alerting__channel="opsgenie:acme-platform-oncall",
        ),
        setting_change(
            "2026-01-21",
            "2026-01-28",
            "oidc-federation",
            "Switch identity federation from SAML to OIDC",
            "Acme retires its SAML IdP; meshStack federates with the new OIDC provider.",
            identity__federation__protocol="oidc",
            identity__federation__issuer="https://login.acme.example/oauth2/meshstack",
        ),
        setting_change(
            "2026-04-15",
            "2026-04-22",
            "backup-retention-35d",
            "Keep backups for 35 days",
            "Backups are kept for 35 days so a full monthly restore test always has a spare.",
            backup__retention_days=35,
        ),
        setting_change(
            "2026-05-20",
            "2026-05-27",
            "replication-15m",
            "Replicate tenants every 15 minutes",
            "Acme's platform team asked for faster propagation of project role changes.",
            replication__interval_minutes=15,
        ),
        setting_change(
            "2026-06-10",
            "2026-06-17",
            "role-binding-expiry-30d",
            "Expire role bindings after 30 days",
            "Acme security baseline v4: temporary role bindings expire after 30 days.",
            access__role_bindings__max_expiry_days=30,
        ),
    ),
    other_changes=(
        OtherChange(
            day("2024-09-25"),
            "landing-zone",
            "Add the sandbox landing zone SCP for region restrictions",
        ),
        OtherChange(day("2025-01-15"), "terraform", "Bump the meshStack AWS Terraform module"),
        OtherChange(day("2025-05-28"), "building-block", "Add the S3 bucket building block"),
        OtherChange(day("2025-09-10"), "terraform", "Bump the meshStack AWS Terraform module"),
        OtherChange(day("2026-02-25"), "landing-zone", "Tighten the production landing zone SCP"),
        OtherChange(
            day("2026-05-06"), "building-block", "Add encryption defaults to the S3 building block"
        ),
    ),
    docs=doc_dates(
        {
            "backup-restore-test": "2024-07-10 2024-10-09 2025-01-15 2025-04-09 2025-07-09 "
            "2025-10-08 2026-01-14 2026-04-08",
            "penetration-test": "2024-10-24 2025-10-23",
            "incident-response-plan": "2024-03-06 2025-02-05 2026-02-04",
            "access-review": "2024-06-19 2024-09-18 2024-12-11 2025-03-12 2025-06-18 2025-09-17 "
            "2025-12-10 2026-03-11 2026-06-17",
            "business-continuity-test": "2024-05-15 2024-11-13 2025-11-12",
            "event-log-review": "2024-06-05 2024-12-04 2025-06-25 2025-12-03 2026-06-03",
            "responsibility-matrix": "2024-06-12 2025-06-11 2026-05-13",
            "tenant-deletion-review": "2024-11-06 2025-11-05",
            "landing-zones": "2024-06-26 2024-09-25 2025-09-10 2026-02-25",
        }
    ),
)

GLOBEX = InstallationSpec(
    name="globex",
    customer="Globex GmbH",
    domain="globex.example",
    clouds=("azure", "openstack"),
    operators=(AYLIN, JONAS, LENA),
    approvers=(
        Person("Priya Raman", "priya.raman@globex.example"),
        Person("Henrik Olsen", "henrik.olsen@globex.example"),
    ),
    exception_approver="Tomás Álvarez (Head of IT Security, Globex)",
    customer_merges=True,
    production_release="tag",
    settings={
        **_COMMON_SETTINGS,
        "logging.destination": "loganalytics://globex-meshstack-audit",
        "monitoring.alerting.channel": "teams:globex-cloud-foundation",
        "identity.federation.protocol": "ldap",
        "identity.federation.issuer": "ldaps://ldap.globex.example:636",
        "soc.forwarding.target": "sentinel://globex-soc-workspace",
    },
    changes=(
        setting_change(
            "2024-09-04",
            "2024-09-11",
            "share-alerts",
            "Share alerts with the Globex cloud foundation team",
            "Alerts are mirrored to Globex's Teams channel.",
            monitoring__alerting__share_with_customer=True,
        ),
        setting_change(
            "2024-11-06",
            "2024-11-13",
            "four-eyes-role-bindings",
            "Require four-eyes approval for role bindings",
            "Requested in Globex's 2024 access management audit.",
            access__role_bindings__four_eyes=True,
        ),
        setting_change(
            "2025-01-22",
            "2025-01-29",
            "audit-log-retention",
            "Keep audit logs for 365 days",
            "Log Analytics retention raised from 90 to 365 days.",
            logging__retention_days=365,
        ),
        setting_change(
            "2025-03-19",
            "2025-03-26",
            "key-vault-credentials",
            "Keep platform credentials in Azure Key Vault",
            "Service principal secrets and OpenStack application credentials move to Key Vault.",
            encryption__credentials__kms=True,
        ),
        setting_change(
            "2025-05-14",
            "2025-05-21",
            "sentinel-forwarding",
            "Forward audit events to Microsoft Sentinel",
            "Globex's SOC ingests meshStack audit events into its Sentinel workspace.",
            soc__forwarding__enabled=True,
        ),
        setting_change(
            "2025-07-16",
            "2025-07-23",
            "replication-30m",
            "Replicate tenants every 30 minutes",
            "OpenStack quota changes are now applied within half an hour.",
            replication__interval_minutes=30,
        ),
        setting_change(
            "2025-09-17",
            "2025-09-24",
            "backup-window",
            "Move the nightly backup to 03:00",
            "Avoids the OpenStack region's maintenance window.",
            backup__schedule="0 3 * * *",
        ),
        setting_change(
            "2025-11-05",
            "2025-11-12",
            "role-binding-expiry-60d",
            "Expire role bindings after 60 days",
            "Temporary role bindings now expire after 60 instead of 90 days.",
            access__role_bindings__max_expiry_days=60,
        ),
        setting_change(
            "2026-02-04",
            "2026-02-11",
            "entra-id-federation",
            "Federate identities with Microsoft Entra ID",
            "Globex decommissions its LDAP directory; users sign in through Entra ID.",
            identity__federation__protocol="entra-id",
            identity__federation__issuer="https://login.microsoftonline.com/globex.example/v2.0",
        ),
        setting_change(
            "2026-03-25",
            "2026-04-01",
            "backup-retention-45d",
            "Keep backups for 45 days",
            "Aligns meshStack backups with Globex's 45-day backup retention standard.",
            backup__retention_days=45,
        ),
        setting_change(
            "2026-05-13",
            "2026-05-20",
            "alert-channel",
            "Route alerts to the Globex SRE rotation",
            "The cloud foundation team handed on-call to Globex SRE.",
            monitoring__alerting__channel="pagerduty:globex-sre",
        ),
        setting_change(
            "2026-06-03",
            "2026-06-10",
            "replication-20m",
            "Replicate tenants every 20 minutes",
            "Faster replication for the new Azure landing zones.",
            replication__interval_minutes=20,
        ),
    ),
    other_changes=(
        OtherChange(
            day("2024-08-28"), "landing-zone", "Add the OpenStack development landing zone"
        ),
        OtherChange(day("2024-12-04"), "terraform", "Bump the meshStack Azure Terraform module"),
        OtherChange(day("2025-06-25"), "building-block", "Add the Azure Key Vault building block"),
        OtherChange(day("2025-10-29"), "terraform", "Bump the meshStack Azure Terraform module"),
        OtherChange(
            day("2026-03-04"), "landing-zone", "Require tags on Azure production subscriptions"
        ),
        OtherChange(
            day("2026-06-24"),
            "building-block",
            "Add private endpoints to the Key Vault building block",
        ),
    ),
    docs=doc_dates(
        {
            "backup-restore-test": "2024-05-22 2024-08-21 2024-11-20 2025-02-19 2025-05-21 "
            "2025-08-20 2025-11-19 2026-02-18 2026-05-20",
            # Deliberately never repeated: stale for the whole audit period (a planted finding).
            "penetration-test": "2024-09-17",
            "incident-response-plan": "2024-04-10 2024-10-02 2025-09-24",
            "access-review": "2024-07-24 2024-10-23 2025-01-22 2025-04-23 2025-07-23 2025-10-22 "
            "2026-01-21 2026-04-22",
            "business-continuity-test": "2024-03-06 2025-03-05 2026-03-18",
            "event-log-review": "2024-06-19 2024-12-11 2025-06-18 2025-12-17 2026-06-17",
            "responsibility-matrix": "2024-05-29 2025-05-28 2026-05-27",
            "tenant-deletion-review": "2024-08-07 2025-08-06",
            "landing-zones": "2024-06-26 2024-08-28 2025-06-25 2026-03-04",
        }
    ),
)

INSTALLATIONS: tuple[InstallationSpec, ...] = (ACME, GLOBEX)
