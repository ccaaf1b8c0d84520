"""Adds the top-level controls/ and templates/ folders to the wheel as generator/data/*.

Everything else is in pyproject.toml; setuptools' declarative config cannot combine package
discovery with these two mapped data packages.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["generator", "generator.*"]),
        "generator.data.controls",
        "generator.data.templates",
    ],
    package_dir={
        "generator.data.controls": "controls",
        "generator.data.templates": "templates",
    },
)
