"""Invented release-note tickets for the demo's synthetic meshStack releases.

All text here is written for meshcomply's demo; none of it is meshcloud's published release notes.
Each ticket: (title, audiences, description, how to use or None).
"""

from __future__ import annotations

Ticket = tuple[str, tuple[str, ...], str, str | None]

# fmt: off
FEATURES: tuple[Ticket, ...] = (
    ("Workspace Tags Shown in the Workspace List", ("User",),
     "The workspace list now shows the tags of each workspace next to its name, so teams can\n"
     "tell cost centres and environments apart without opening every workspace.", None),
    ("Bulk Removal of Project Users", ("User",),
     "Project administrators can remove several users from a project in one step instead of\n"
     "one at a time.",
     "Select the users in the project's access table and choose \"Remove selected\"."),
    ("Budget Alerts per Tenant", ("User", "Partner"),
     "Budget alerts can now be defined per tenant in addition to per project. An alert e-mail\n"
     "goes to the project's billing contacts when a tenant reaches the configured threshold.",
     "Open a tenant, choose \"Budget\" and enter a monthly amount and a threshold."),
    ("Faster Replication of Large Azure Landing Zones", ("Operator",),
     "Replication now applies role assignments to Azure subscriptions in parallel batches,\n"
     "which shortens replication of landing zones with many policies considerably.", None),
    ("Audit Events for Building Block Deletion", ("Partner", "Operator"),
     "Deleting a building block now writes an audit event naming who deleted it and which\n"
     "tenant it belonged to.", None),
    ("Search by Tenant Identifier in the Admin Area", ("Partner",),
     "Platform administrators can find a tenant by its platform identifier, for example an AWS\n"
     "account number or an Azure subscription ID.", None),
    ("Expiry Reminders for Temporary Role Bindings", ("User",),
     "Users receive an e-mail seven days before a temporary role binding in a project expires,\n"
     "so access can be renewed in time.", None),
    ("Building Block Outputs Shown on the Tenant Page", ("User",),
     "Outputs of building blocks, such as a bucket name or a connection URL, are now listed on\n"
     "the tenant page.", None),
    ("Configurable Session Timeout for the Panel", ("Operator",),
     "Operators can configure after how many minutes of inactivity users are signed out of the\n"
     "meshStack panel.", None),
    ("OpenStack Quota Templates", ("Partner",),
     "Platform teams can define quota templates for OpenStack projects and let users choose one\n"
     "when they create a tenant.",
     "Create templates under Platforms > OpenStack > Quota templates."),
    ("API Keys with an Expiry Date", ("User", "Partner"),
     "API keys can be created with an expiry date. Expired keys are rejected and shown as\n"
     "expired in the key list.", None),
    ("Payment Method Overview for Workspaces", ("Customer",),
     "The workspace page shows which payment methods are assigned to its projects and when they\n"
     "expire.", None),
    ("Improved Error Messages for Failed Replications", ("Partner", "Operator"),
     "A failed replication now shows the platform's own error message and the step that failed,\n"
     "instead of a generic error.", None),
    ("Export of Chargeback Statements as CSV", ("Customer", "Partner"),
     "Chargeback statements can be downloaded as CSV files for import into accounting systems.",
     None),
    ("Landing Zone Descriptions in the Marketplace", ("User",),
     "Landing zones can carry a description that users see when they choose a platform in the\n"
     "marketplace.", None),
    ("Project Creation via the meshObject API for Partners", ("Partner",),
     "Partners can create projects in any workspace through the meshObject API, which makes\n"
     "onboarding automation simpler.", None),
    ("Approval Comments on Access Requests", ("User",),
     "Approvers of an access request can add a comment, which the requester sees in the request\n"
     "history.", None),
    ("Health Endpoint for the Identity Broker", ("Operator",),
     "The identity broker exposes a health endpoint that monitoring can poll, reporting the\n"
     "reachability of the upstream identity provider.", None),
    ("Sorting by Creation Date in Tenant Tables", ("User",),
     "Tenant tables can be sorted by the date the tenant was created.", None),
    ("Notification Settings per Workspace", ("User",),
     "Workspace members can choose which e-mail notifications they receive for each workspace.",
     "Open your profile, choose \"Notifications\" and adjust the settings per workspace."),
)

FIXES: tuple[Ticket, ...] = (
    ("Fixed Missing Tags after Project Renaming", ("User",),
     "Renaming a project no longer drops the tags that were set on it.", None),
    ("Fixed Duplicate Replication Runs", ("Operator",),
     "A tenant could be replicated twice at the same time after a restart of the replicator.\n"
     "Runs for the same tenant are now serialised.", None),
    ("Fixed Date Display in Chargeback Statements", ("Customer",),
     "The period of a chargeback statement was shown in UTC instead of the user's time zone.",
     None),
    ("Fixed Login Loop with Expired Sessions", ("User",),
     "Users with an expired session were sometimes sent back and forth between the panel and the\n"
     "identity broker. They are now asked to sign in again.", None),
    ("Fixed Building Block Inputs with Umlauts", ("User",),
     "Building block inputs containing non-ASCII characters were saved incorrectly.", None),
    ("Fixed Quota Replication for OpenStack Projects", ("Partner", "Operator"),
     "Changed quotas of OpenStack projects were not applied when the project had more than\n"
     "one hundred servers. Quotas are now replicated regardless of project size.", None),
)
# fmt: on
