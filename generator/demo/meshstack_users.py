"""Who uses each example installation's meshStack: users, workspaces and API keys.

The customer's change approvers (customers.py) manage workspaces; other invented colleagues
request and hold roles; meshcloud's operators administer the installation; the GitOps pipeline
applies the configuration repository with an API key. Identifiers (user uuids, API key ids, event
uuids) are derived from fixed keys, so every run gives the same ones.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from generator.demo.clock import SEED
from generator.demo.installations import InstallationSpec
from generator.demo.model import Person


def stable_uuid(*parts: str) -> str:
    """A version-4-shaped UUID from fixed text: the same on every run."""
    digest = hashlib.sha256(":".join((SEED, "meshstack", *parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


@dataclass(frozen=True)
class User:
    name: str
    username: str  # the customer directory's user name: their e-mail address
    uuid: str  # what events name as a User author


@dataclass(frozen=True)
class Workspace:
    identifier: str
    name: str
    manager: User  # approves access requests to it
    members: tuple[User, ...]  # request and hold roles in it
    project: str  # its production project (project roles)


@dataclass(frozen=True)
class MeshstackSite:
    installation: str
    url: str  # the installation's meshStack URL
    workspaces: tuple[Workspace, ...]
    admins: tuple[User, ...]  # meshcloud operators with meshStack administrator rights
    pipeline_key: str  # the GitOps pipeline's API key id (an ApiKey author)
    sync_key: str  # the directory synchronisation's API key id


def user(spec: InstallationSpec, person: Person) -> User:
    return User(person.name, person.email, stable_uuid(spec.name, "user", person.email))


def _colleague(spec: InstallationSpec, name: str) -> User:
    first, last = name.lower().split(" ", 1)
    email = f"{first}.{last.replace(' ', '')}@{spec.domain}"
    return User(name, email, stable_uuid(spec.name, "user", email))


_COLLEAGUES = {
    "acme": (
        ("payments", "Payments", ("Olivia Chen", "Daniel Brooks", "Sofia Martinez")),
        ("data-platform", "Data Platform", ("Liam Carter", "Emma Schulz", "Daniel Brooks")),
        ("web-shop", "Web Shop", ("Noah Patel", "Grace Kim", "Olivia Chen")),
    ),
    "globex": (
        ("logistics", "Logistics", ("Lukas Brandt", "Mei Tanaka", "Clara Vogel")),
        ("research", "Research", ("Felix Hartmann", "Ben Okafor", "Mei Tanaka")),
        ("finance", "Finance", ("Anna Kowalski", "Ravi Iyer", "Clara Vogel")),
    ),
}


def site(spec: InstallationSpec) -> MeshstackSite:
    managers = [user(spec, person) for person in spec.approvers]
    workspaces = tuple(
        Workspace(
            identifier=f"{spec.name}-{slug}",
            name=f"{spec.customer.split()[0]} {title}",
            manager=managers[index % len(managers)],
            members=tuple(_colleague(spec, name) for name in names),
            project=f"{spec.name}-{slug}-prod",
        )
        for index, (slug, title, names) in enumerate(_COLLEAGUES[spec.name])
    )
    return MeshstackSite(
        installation=spec.name,
        url=meshstack_url(spec),
        workspaces=workspaces,
        admins=tuple(user(spec, person) for person in spec.operators),
        pipeline_key=stable_uuid(spec.name, "api-key", "gitops-pipeline"),
        sync_key=stable_uuid(spec.name, "api-key", "directory-sync"),
    )


def meshstack_url(spec: InstallationSpec) -> str:
    """The installation's meshStack URL (invented, like its domain)."""
    return f"https://meshstack.{spec.domain}"


def workspace(meshstack: MeshstackSite, slug: str) -> Workspace:
    return next(w for w in meshstack.workspaces if w.identifier.endswith(f"-{slug}"))


def member(meshstack: MeshstackSite, name: str) -> User:
    return next(m for w in meshstack.workspaces for m in w.members if m.name == name)
