# LAKSA-GIS application image: Django + GeoDjango served by Daphne (HTTP and WebSocket).
# docker-compose.yml runs it next to PostGIS and Redis; migrations and the city fixtures are
# loaded by the compose command, not at build time (the build has no database).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=laksa_gis.settings \
    MEDIA_ROOT=/data/media

# GeoDjango loads GDAL and GEOS with ctypes (libgdal32, libgeos-c1v5; PROJ for GDAL is
# libproj25). gdal-bin adds ogrinfo/ogr2ogr for inspecting boundary files, gettext provides
# msgfmt for compilemessages, ffmpeg probes and converts video proof. psycopg2-binary, shapely and pyproj bring their own libraries.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        gdal-bin libgdal32 libgeos-c1v5 libproj25 gettext ffmpeg \
 && rm -rf /var/lib/apt/lists/*

# Unprivileged runtime user; /app and the media directory belong to it.
RUN groupadd --gid 1000 laksa \
 && useradd --uid 1000 --gid laksa --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin laksa \
 && install -d -o laksa -g laksa /app /data/media

WORKDIR /app

# Dependencies first, so code changes don't invalidate this layer.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=laksa:laksa . .

USER laksa

# Translations (.mo files are not committed) and static files are built into the image.
RUN if find . -path ./node_modules -prune -o -type d -name locale -print | grep -q .; then \
        python manage.py compilemessages --ignore=node_modules; \
    fi \
 && python manage.py collectstatic --noinput

EXPOSE 8000

CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "laksa_gis.asgi:application"]
