"""Synthetic complaints inside the real kelurahan, loaded with COPY (demos and benchmarks).

Points are denser around a few dozen hotspots (a blocked drain, a market's garbage, a dark
road) and spread elsewhere in proportion to population; categories, channels and statuses are
mixed over the last two years: old complaints are mostly resolved (Tangerang reports ~96%),
recent ones still open. Every NOT NULL column is valid; reporter contact stays empty.
Each complaint also gets its `created` event. Rows are marked with external_id `demo:<seed>:<n>`.
"""

from __future__ import annotations

import io
import sys
import time

import numpy as np
import shapely
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from analytics.services import analytics_settings_sync, facts_cluster
from boundaries.models import AdminArea, AreaLevel, BoundaryGeneration, Agency
from fieldops.models import Category, Channel, Complaint
from fieldops.services import TRACKING_ALPHABET

# Relative frequency of each category (what Tangerang's LAKSA sees most: roads, drains, garbage).
CATEGORY_WEIGHT = {"roads": 22, "drainage": 18, "garbage": 16, "street-lights": 10, "fallen-trees": 5,
                   "public-order": 8, "health": 4, "education": 3, "adminduk": 5, "social-aid": 4,
                   "public-service": 3, "other": 2}
DESCRIPTIONS = {
    "roads": ["Jalan berlubang cukup dalam, membahayakan pengendara motor", "Aspal rusak dan bergelombang"],
    "drainage": ["Saluran air tersumbat sampah, air meluap saat hujan", "Genangan air tidak surut sejak kemarin"],
    "garbage": ["Sampah menumpuk belum diangkut tiga hari", "Pembuangan sampah liar di pinggir jalan"],
    "street-lights": ["Lampu PJU mati, jalan gelap di malam hari", "Tiang lampu miring hampir roboh"],
    "fallen-trees": ["Pohon tumbang menutup sebagian jalan", "Dahan besar patah menggantung di atas jalan"],
    "public-order": ["PKL berjualan di trotoar", "Parkir liar menyebabkan kemacetan"],
    "health": ["Banyak nyamuk, mohon fogging", "Puskesmas tutup di jam layanan"],
    "education": ["Atap ruang kelas bocor", "Pungutan di sekolah negeri"],
    "adminduk": ["KTP elektronik belum jadi sejak tiga bulan", "Kesalahan data di kartu keluarga"],
    "social-aid": ["Bantuan sosial tidak tepat sasaran", "Belum menerima bantuan padahal terdaftar"],
    "public-service": ["Antrean layanan sangat lama", "Petugas tidak ada di tempat"],
    "other": ["Mohon ditindaklanjuti", "Laporan warga"],
}
CHANNEL_WEIGHT = {Channel.WEB: 30, Channel.MOBILE: 35, Channel.WHATSAPP: 15, Channel.SOCIAL: 8, Channel.PHONE: 5,
                  Channel.LAPOR: 5, Channel.OPEN311: 2}


def _bar(done: int, total: int, started: float, out) -> None:
    width = 30
    frac = done / total if total else 1
    rate = done / max(time.monotonic() - started, 1e-6)
    eta = (total - done) / rate if rate else 0
    out.write(f"\r[{'#' * int(frac * width):<{width}}] {done:>9,}/{total:,} {frac:6.1%}  {rate:,.0f}/s  eta {eta:4.0f}s")
    out.flush()


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


class Command(BaseCommand):
    help = "Generate realistic synthetic complaints inside the real kelurahan (COPY, with a progress bar)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10000)
        parser.add_argument("--seed", type=int, default=6)
        parser.add_argument("--years", type=float, default=2.0)
        parser.add_argument("--hotspots", type=int, default=60)
        parser.add_argument("--chunk", type=int, default=50000)
        parser.add_argument("--no-events", action="store_true", help="Skip the `created` events")
        parser.add_argument("--quiet", action="store_true")
        parser.add_argument("--no-cluster", action="store_true",
                            help="Leave the facts in load order (skip the final cluster_analytics step)")

    def handle(self, *args, count, seed, years, hotspots, chunk, no_events, quiet, no_cluster=False, **kw):
        if count < 1:
            raise CommandError("--count must be at least 1")
        gen = BoundaryGeneration.current()
        if gen is None:
            raise CommandError("No boundaries loaded: run `manage.py load_city_fixtures` first.")
        analytics_settings_sync()
        rng = np.random.default_rng(seed)
        kels = list(AdminArea.objects.filter(generation=gen, level=AreaLevel.KELURAHAN)
                    .select_related("parent").order_by("code"))
        if not kels:
            raise CommandError("The current boundary generation has no kelurahan.")
        cats = [c for c in Category.objects.filter(active=True) if c.slug in CATEGORY_WEIGHT] or \
            list(Category.objects.filter(active=True))
        if not cats:
            raise CommandError("No categories: run `manage.py load_city_fixtures` first.")
        lon, lat, kel_idx = self._points(kels, count, hotspots, rng)
        cat_w = np.array([CATEGORY_WEIGHT.get(c.slug, 2) for c in cats], float)
        cat_idx = rng.choice(len(cats), size=count, p=cat_w / cat_w.sum())
        agency = self._agency_table(kels, cats)  # [kel, cat] -> agency id
        codes = self._codes(count, rng)

        now = timezone.now()
        span_s = years * 365.25 * 86400
        # More complaints recently (adoption grows): age skewed towards now.
        age_s = span_s * (1 - rng.power(1.3, size=count))
        created = np.array([now.timestamp()]) - age_s
        sla_h = np.array([c.sla_hours for c in cats], float)[cat_idx]
        resp_h = rng.lognormal(np.log(5), 1.0, size=count)
        res_h = np.maximum(resp_h + 0.5, rng.lognormal(np.log(sla_h * 0.6), 0.8))
        close_h = res_h + rng.uniform(12, 96, size=count)
        age_h = age_s / 3600
        u = rng.random(count)
        status = np.empty(count, dtype=object)
        # Old enough to be finished: ~96% resolved or closed.
        old = res_h < age_h
        status[:] = "new"
        status[old & (u < 0.55)] = "closed"
        status[old & (u >= 0.55) & (u < 0.93)] = "resolved"
        status[old & (u >= 0.93) & (u < 0.955)] = "rejected"
        status[old & (u >= 0.955) & (u < 0.97)] = "duplicate"
        status[old & (u >= 0.97) & (u < 0.985)] = "on_hold"
        status[old & (u >= 0.985)] = "in_progress"
        young = ~old
        responded = resp_h < age_h
        status[young & responded & (u < 0.3)] = "assigned"
        status[young & responded & (u >= 0.3) & (u < 0.75)] = "in_progress"
        status[young & responded & (u >= 0.75) & (u < 0.9)] = "verified"
        status[young & responded & (u >= 0.9)] = "on_hold"
        status[young & ~responded & (u < 0.85)] = "new"
        status[young & ~responded & (u >= 0.85)] = "verified"
        ch_keys = list(CHANNEL_WEIGHT)
        ch_w = np.array([CHANNEL_WEIGHT[k] for k in ch_keys], float)
        channel = rng.choice(len(ch_keys), size=count, p=ch_w / ch_w.sum())
        desc_pick = rng.integers(0, 2, size=count)
        priority = rng.choice([1, 2, 3], size=count, p=[0.15, 0.7, 0.15])

        fields = [f for f in Complaint._meta.concrete_fields if not f.primary_key]
        known = {"tracking_code", "location", "accuracy_m", "address", "description", "category", "channel", "status",
                 "priority", "kecamatan", "kelurahan", "agency", "government", "generation", "crew", "duplicate_of", "reporter_name",
                 "reporter_phone", "reporter_email", "is_anonymous", "reporter_token_hash", "external_id", "created_at",
                 "updated_at", "due_at", "first_response_at", "resolved_at", "closed_at", "escalated_at"}
        extra = []  # Columns other apps added later: their model default.
        for f in fields:
            if f.name not in known:
                default = f.get_default()
                extra.append((f.column, "\\N" if default is None else ("t" if default is True else "f" if default is False
                                                                     else _esc(str(default)))))
        columns = ["tracking_code", "location", "address", "description", "category_id", "channel", "status",
                   "priority", "kecamatan_id", "kelurahan_id", "agency_id", "government_id", "generation_id", "reporter_name",
                   "reporter_phone", "reporter_email", "is_anonymous", "reporter_token_hash", "external_id",
                   "created_at", "updated_at", "due_at", "first_response_at", "resolved_at", "closed_at"]
        columns += [c for c, _v in extra]
        extra_txt = "".join("\t" + v for _c, v in extra)
        kel_ids = [k.id for k in kels]
        kec_ids = [k.parent_id if k.parent_id else None for k in kels]
        cat_ids = [c.id for c in cats]
        cat_slugs = [c.slug for c in cats]
        descs = [[_esc(d) for d in DESCRIPTIONS.get(c.slug, DESCRIPTIONS["other"])] for c in cats]

        def ts(seconds):
            """Epoch seconds (NaN = none) to COPY timestamps, vectorised."""
            arr = np.nan_to_num(seconds, nan=0).astype("datetime64[s]")
            txt = np.char.add(np.datetime_as_string(arr, unit="s"), "+00")
            return np.where(np.isnan(seconds), "\\N", txt).tolist()

        nan = np.full(count, np.nan)
        is_new = status == "new"
        done_ = np.isin(status, ["resolved", "closed"])
        first_s = np.where(is_new, nan, created + resp_h * 3600)
        resolved_s = np.where(done_, created + res_h * 3600, nan)
        closed_s = np.where(status == "closed", created + close_h * 3600, nan)
        updated_s = np.fmax(np.fmax(created, first_s), np.fmax(resolved_s, closed_s))
        kec_txt = [str(kec_ids[k]) if kec_ids[k] else "\\N" for k in range(len(kels))]
        ag_txt = [[str(a) for a in row] for row in agency]
        government_of = {str(a): str(g) for a, g in Agency.objects.values_list("id", "government_id")}
        cols = [
            codes,
            [f"SRID=4326;POINT({x:.7f} {y:.7f})" for x, y in zip(lon.tolist(), lat.tolist())],
            [""] * count,
            [descs[c][d] for c, d in zip(cat_idx.tolist(), desc_pick.tolist())],
            [str(cat_ids[c]) for c in cat_idx.tolist()],
            [str(ch_keys[c]) for c in channel.tolist()],
            status.tolist(),
            [str(p) for p in priority.tolist()],
            [kec_txt[k] for k in kel_idx.tolist()],
            [str(kel_ids[k]) for k in kel_idx.tolist()],
            [ag_txt[k][c] for k, c in zip(kel_idx.tolist(), cat_idx.tolist())],
            [government_of[ag_txt[k][c]] for k, c in zip(kel_idx.tolist(), cat_idx.tolist())],
            [str(gen.pk)] * count,
            [""] * count, [""] * count, [""] * count, ["f"] * count, [""] * count,
            [f"demo:{seed}:{i}" for i in range(count)],
            ts(created), ts(updated_s), ts(created + sla_h * 3600), ts(first_s), ts(resolved_s), ts(closed_s),
        ]
        lines = [line + extra_txt + "\n" for line in map("\t".join, zip(*cols))]
        del cols

        out = sys.stderr
        started = time.monotonic()
        with connection.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM fieldops_complaint")
            max_before = cur.fetchone()[0]
        for start in range(0, count, chunk):
            end = min(count, start + chunk)
            buf = io.StringIO("".join(lines[start:end]))
            with transaction.atomic(), connection.cursor() as cur:
                cur.copy_expert(f"COPY fieldops_complaint ({', '.join(columns)}) FROM STDIN", buf)
            if not quiet:
                _bar(end, count, started, out)
        if not quiet:
            out.write("\n")
        if not no_events:
            with connection.cursor() as cur:
                cur.execute(
                    "INSERT INTO fieldops_complaintevent (complaint_id, type, at, from_status, to_status, note, location,"
                    " is_public, agency_id, data)"
                    " SELECT id, 'created', created_at, '', 'new', '', location, true, agency_id,"
                    " json_build_object('channel', channel)"
                    " FROM fieldops_complaint WHERE id > %s AND external_id LIKE %s ORDER BY created_at, id",
                    [max_before, f"demo:{seed}:%"],
                )
        with connection.cursor() as cur:
            cur.execute("ANALYZE fieldops_complaint")
            cur.execute("ANALYZE analytics_tilecell")
        # A bulk load scatters every neighbourhood over the whole table: put the facts back in
        # spatial order, as the weekly `cluster_analytics` job does (and ANALYZE them).
        if no_cluster:
            with connection.cursor() as cur:
                cur.execute("ANALYZE analytics_complaintfact")
        else:
            facts_cluster()
        self.stdout.write(f"{count:,} complaints in {time.monotonic() - started:.1f} s "
                          f"({', '.join(cat_slugs[:4])}, ...; {len(kels)} kelurahan, {hotspots} hotspots).")

    def _points(self, kels, count, n_hot, rng):
        """lon, lat, kelurahan index: ~55% around hotspots, the rest by population over the kelurahan."""
        polys = [shapely.from_wkb(bytes(k.geom.wkb)) for k in kels]
        for p in polys:
            shapely.prepare(p)
        pop = np.array([k.population or 0 for k in kels], float)
        area = np.array([p.area for p in polys])
        weight = np.where(pop > 0, pop, area / area.sum() * max(pop.sum(), 1))
        weight = weight / weight.sum()
        n_hot_pts = int(count * 0.55)
        kel_of = rng.choice(len(kels), size=count - n_hot_pts, p=weight)
        hot_kel = rng.choice(len(kels), size=n_hot, p=weight)
        hot_w = rng.pareto(1.5, size=n_hot) + 0.2
        hot_of = rng.choice(n_hot, size=n_hot_pts, p=hot_w / hot_w.sum())
        lon = np.empty(count)
        lat = np.empty(count)
        kel_idx = np.empty(count, dtype=np.int64)
        pos = 0
        # Background: uniform inside each kelurahan by rejection in its bounding box.
        for k in range(len(kels)):
            need = int((kel_of == k).sum())
            pos = self._fill(polys[k], k, need, None, rng, lon, lat, kel_idx, pos)
        # Hotspots: a Gaussian blob (sigma 60-400 m) around a random point of the hotspot's kelurahan.
        for h in range(n_hot):
            need = int((hot_of == h).sum())
            if not need:
                continue
            k = hot_kel[h]
            cx, cy = self._random_in(polys[k], 1, rng)[0]
            sigma = rng.uniform(60, 400) / 111000
            pos = self._fill(polys[k], k, need, (cx, cy, sigma), rng, lon, lat, kel_idx, pos)
        perm = rng.permutation(count)
        return lon[perm], lat[perm], kel_idx[perm]

    def _random_in(self, poly, n, rng):
        x0, y0, x1, y1 = poly.bounds
        got = []
        while len(got) < n:
            m = max(64, (n - len(got)) * 3)
            xs = rng.uniform(x0, x1, m)
            ys = rng.uniform(y0, y1, m)
            ok = shapely.contains_xy(poly, xs, ys)
            got.extend(zip(xs[ok], ys[ok]))
        return got[:n]

    def _fill(self, poly, k, need, blob, rng, lon, lat, kel_idx, pos):
        done = 0
        tries = 0
        while done < need:
            m = max(64, (need - done) * 2)
            if blob is None or tries > 20:
                pts = np.array(self._random_in(poly, need - done, rng))
                xs, ys = pts[:, 0], pts[:, 1]
            else:
                cx, cy, s = blob
                xs = rng.normal(cx, s, m)
                ys = rng.normal(cy, s, m)
                ok = shapely.contains_xy(poly, xs, ys)
                xs, ys = xs[ok][: need - done], ys[ok][: need - done]
            n = len(xs)
            lon[pos:pos + n] = xs
            lat[pos:pos + n] = ys
            kel_idx[pos:pos + n] = k
            pos += n
            done += n
            tries += 1
        return pos

    def _agency_table(self, kels, cats):
        """The agency the intake would pick for each (kelurahan, category), in one query: the
        government whose kab/kota holds the kelurahan, then that government's routing rules, its
        GovernmentCategory agency, the category's default agency if it is that government's, and
        its command center (boundaries.selectors.route_point's order). A kelurahan without a
        kab/kota above it (a city-only generation) belongs to the only government."""
        with connection.cursor() as cur:
            cur.execute(
                """
WITH k AS (
    SELECT k.i, a.code, coalesce(pa.code, '') AS pcode, coalesce(ga.code, '') AS gcode,
           coalesce(gv.id, (SELECT min(id) FROM boundaries_government HAVING count(*) = 1)) AS gov
      FROM unnest(%s::bigint[]) WITH ORDINALITY k(id, i)
      JOIN boundaries_adminarea a ON a.id = k.id
      LEFT JOIN boundaries_adminarea pa ON pa.id = a.parent_id
      LEFT JOIN boundaries_adminarea ga ON ga.id = pa.parent_id
      LEFT JOIN boundaries_government gv ON gv.code = ga.code
)
SELECT k.i, c.j, coalesce(
    (SELECT r.agency_id FROM boundaries_routingrule r
       JOIN boundaries_agency ag ON ag.id = r.agency_id AND ag.active
      WHERE r.active AND r.government_id = k.gov AND (r.category_slug = c.slug OR r.category_slug = '')
        AND (r.area_code = '' OR r.area_code IN (k.code, k.pcode, k.gcode))
      ORDER BY r.priority DESC, r.id LIMIT 1),
    (SELECT gc.agency_id FROM fieldops_governmentcategory gc
       JOIN boundaries_agency ag ON ag.id = gc.agency_id AND ag.government_id = k.gov
      WHERE gc.government_id = k.gov AND gc.category_id = c.id),
    (SELECT ag.id FROM boundaries_agency ag WHERE ag.id = c.default_agency AND ag.government_id = k.gov),
    (SELECT ag.id FROM boundaries_agency ag WHERE ag.government_id = k.gov AND ag.kind = 'command_center'))
  FROM k, unnest(%s::text[], %s::bigint[], %s::bigint[]) WITH ORDINALITY c(slug, id, default_agency, j)""",
                [[k.id for k in kels], [c.slug for c in cats], [c.id for c in cats],
                 [c.default_agency_id for c in cats]],
            )
            hits = {(i - 1, j - 1): a for i, j, a in cur.fetchall()}
        missing = sorted({kels[i].code for (i, _j), a in hits.items() if a is None})
        if missing:
            raise CommandError(f"No government or agency serves kelurahan {', '.join(missing[:5])}"
                               f"{' ...' if len(missing) > 5 else ''}: set up its government first.")
        return [[hits[(ki, ci)] for ci in range(len(cats))] for ki in range(len(kels))]

    def _codes(self, count, rng):
        """Unique LKS-XXXX-XXXX codes not already used."""
        with connection.cursor() as cur:
            cur.execute("SELECT tracking_code FROM fieldops_complaint")
            used = {r[0] for r in cur.fetchall()}
        alphabet = np.array(list(TRACKING_ALPHABET))
        out: list[str] = []
        seen = set(used)
        while len(out) < count:
            m = (count - len(out)) + 16
            digits = rng.integers(0, len(alphabet), size=(m, 8))
            chars = alphabet[digits]
            for row in chars:
                s = "".join(row)
                code = f"LKS-{s[:4]}-{s[4:]}"
                if code not in seen:
                    seen.add(code)
                    out.append(code)
                    if len(out) == count:
                        break
        return out
