# meshcomply with everything it needs where installing system libraries is a hurdle:
# WeasyPrint's libraries and fonts, git, ssh-keygen (signed packs and commits) and gpg.
#   docker build -t meshcomply .
#   docker run --rm -v "$PWD:/work" meshcomply build --out out      (docs/ci.md#container-image)
FROM python:3.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        git openssh-client gnupg \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

COPY . /tmp/meshcomply-src
RUN pip install --no-cache-dir /tmp/meshcomply-src && rm -rf /tmp/meshcomply-src

# The mounted repositories belong to the host's user: git refuses them without this. HOME and the
# cache live in /tmp so the image works under any --user.
RUN git config --system --add safe.directory '*'
ENV HOME=/tmp MESHCOMPLY_CACHE=/tmp/meshcomply-cache PYTHONDONTWRITEBYTECODE=1
WORKDIR /work
ENTRYPOINT ["meshcomply"]
CMD ["--help"]
