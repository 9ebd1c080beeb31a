/* fmt_yaml.c -- "yaml": the whole document stream parses with libyaml.
 *
 * Why a thread: libyaml pulls its input through a read callback, while a
 * checker is pushed chunks. Buffering the file up to a cap would turn big
 * YAML files away; instead libyaml runs on a helper thread whose read
 * callback takes bytes out of a small ring (YAML_RING) that update() fills,
 * each side waiting for the other. Memory stays bounded by the ring plus
 * libyaml's own state (its current token: the largest scalar), whatever the
 * file size, and the verdict does not depend on chunking.
 * Events are read and dropped (aliases are fine in data files: nothing is
 * expanded); nesting deeper than YAML_MAX_DEPTH is refused so that nobody's
 * recursive loader gets a hostile file.
 * libyaml's parser does not resolve aliases; a loader would fail on an
 * alias with no anchor before it in the same document, so we do too: anchor
 * names are kept as 64-bit hashes (at most YAML_MAX_ANCHORS per document;
 * past that aliases are no longer checked rather than using more memory).
 * A zero-byte file passes, as a file of only comments does: it is a valid
 * YAML stream with no document, which loaders read as null (min-bytes in the
 * contract is what turns an empty deliverable away).
 * libyaml holds a whole scalar in memory (growing it by doubling) before it
 * returns its event, so a file of one huge scalar would cost several times
 * its size: more than YAML_TOKEN_MAX bytes read between two events are
 * refused (no data file needs a 32 MiB scalar; PyYAML would take minutes).
 * update() returns 1 as soon as the parser has failed; final() (or release()
 * when abandoning) ends the thread. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "esc_fmt.h"

#define YAML_RING (256 * 1024)
#define YAML_MAX_DEPTH 256
#define YAML_MAX_ANCHORS 65536
#define YAML_TOKEN_MAX (32u << 20)

/* Open-addressed set of anchor-name hashes; 0 marks an empty slot. */
struct anchors {
	uint64_t *v;
	size_t cap, n;
	bool full;
};

static uint64_t name_hash(const unsigned char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ *s) * 0x100000001b3ULL;
	return h ? h : 1;
}

static bool anchors_has(const struct anchors *a, uint64_t h)
{
	if (!a->cap)
		return false;
	for (size_t i = h & (a->cap - 1);; i = (i + 1) & (a->cap - 1)) {
		if (a->v[i] == h)
			return true;
		if (a->v[i] == 0)
			return false;
	}
}

static void anchors_put(struct anchors *a, uint64_t h)
{
	if (a->full || anchors_has(a, h))
		return;
	if ((a->n + 1) * 2 > a->cap) {
		const size_t ncap = a->cap ? a->cap * 2 : 64;
		uint64_t *nv;

		nv = a->n < YAML_MAX_ANCHORS ? calloc(ncap, sizeof *nv) : NULL;
		if (!nv) {
			a->full = true;
			return;
		}
		for (size_t k = 0; k < a->cap; k++) {
			size_t i;

			if (!a->v[k])
				continue;
			for (i = a->v[k] & (ncap - 1); nv[i]; i = (i + 1) & (ncap - 1))
				;
			nv[i] = a->v[k];
		}
		free(a->v);
		a->v = nv;
		a->cap = ncap;
	}
	for (size_t i = h & (a->cap - 1);; i = (i + 1) & (a->cap - 1))
		if (a->v[i] == 0) {
			a->v[i] = h;
			a->n++;
			return;
		}
}

static void anchors_clear(struct anchors *a)
{
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* The anchor an event defines, if any. */
static const unsigned char *event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

struct yaml_state {
	pthread_mutex_t mu;
	pthread_cond_t more;     /* bytes or eof for the parser */
	pthread_cond_t room;     /* room in the ring, or the parser is done */
	pthread_t thread;
	bool sync_ok, started, joined, released;
	bool eof;                /* the producer has no more bytes */
	bool done;               /* the parser has stopped */
	bool ok;
	size_t head, count;      /* ring: next byte to read, bytes held */
	char reason[200];
	/* Only the parser thread (the read handler runs on it) uses these: */
	uint64_t fed;            /* bytes handed to libyaml */
	uint64_t fed_at_event;   /* ... when it returned its last event */
	bool too_long;
	uint8_t ring[YAML_RING];
};

static int read_handler(void *data, unsigned char *out, size_t size, size_t *size_read)
{
	struct yaml_state *y = data;
	/* Wait for all that was asked (libyaml asks at most 16 KiB): libyaml's
	 * errors depend on how far ahead it has read, so the reads must depend
	 * on the bytes alone, never on how the two threads happened to run. */
	const size_t want = size < YAML_RING ? size : YAML_RING;
	size_t n;

	if (y->fed - y->fed_at_event > YAML_TOKEN_MAX) {
		y->too_long = true;
		return 0; /* libyaml: a reader error */
	}
	pthread_mutex_lock(&y->mu);
	while (y->count < want && !y->eof)
		pthread_cond_wait(&y->more, &y->mu);
	n = y->count < size ? y->count : size;
	for (size_t k = 0; k < n;) {
		size_t part = YAML_RING - y->head;

		if (part > n - k)
			part = n - k;
		memcpy(out + k, y->ring + y->head, part);
		y->head = (y->head + part) % YAML_RING;
		k += part;
	}
	y->count -= n;
	pthread_cond_signal(&y->room);
	pthread_mutex_unlock(&y->mu);
	y->fed += n;
	*size_read = n; /* 0: end of input */
	return 1;
}

static void *parse_thread(void *arg)
{
	struct yaml_state *y = arg;
	yaml_parser_t parser;
	yaml_event_t ev;
	struct anchors anchors = {NULL, 0, 0, false};
	const unsigned char *anchor;
	unsigned depth = 0;
	unsigned long last_line = 1;
	bool ok = false, end = false;
	char reason[200] = "";

	if (!yaml_parser_initialize(&parser)) {
		snprintf(reason, sizeof reason, "out of memory starting the YAML parser");
		goto out;
	}
	yaml_parser_set_input(&parser, read_handler, y);
	while (!end) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (y->too_long) {
				snprintf(reason, sizeof reason, "line %lu: a scalar or token over %u MiB after it "
				         "(too large to check)", last_line, YAML_TOKEN_MAX >> 20);
				break;
			}
			if (parser.error == YAML_READER_ERROR) {
				snprintf(reason, sizeof reason, "byte %zu: %s",
				         parser.problem_offset, parser.problem ? parser.problem : "unreadable input");
				break;
			}
			snprintf(reason, sizeof reason, "line %lu column %lu: %s%s%s",
			         (unsigned long)parser.problem_mark.line + 1,
			         (unsigned long)parser.problem_mark.column + 1,
			         parser.problem ? parser.problem : "syntax error",
			         parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		y->fed_at_event = y->fed;
		last_line = (unsigned long)ev.end_mark.line + 1;
		anchor = event_anchor(&ev);
		if (anchor)
			anchors_put(&anchors, name_hash(anchor));
		if (ev.type == YAML_ALIAS_EVENT && !anchors.full &&
		    !anchors_has(&anchors, name_hash(ev.data.alias.anchor))) {
			snprintf(reason, sizeof reason, "line %lu: alias *%.40s has no anchor before it",
			         (unsigned long)ev.start_mark.line + 1, (const char *)ev.data.alias.anchor);
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_END_EVENT)
			anchors_clear(&anchors);
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > YAML_MAX_DEPTH) {
				snprintf(reason, sizeof reason, "line %lu: nesting deeper than %d levels",
				         (unsigned long)ev.start_mark.line + 1, YAML_MAX_DEPTH);
				yaml_event_delete(&ev);
				break;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (ev.type == YAML_STREAM_END_EVENT) {
			end = ok = true;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	anchors_clear(&anchors);
out:
	pthread_mutex_lock(&y->mu);
	y->ok = ok;
	snprintf(y->reason, sizeof y->reason, "%s", reason);
	y->done = true;
	pthread_cond_broadcast(&y->room);
	pthread_mutex_unlock(&y->mu);
	return NULL;
}

static void yaml_init(void *st, const char *path, uint64_t size)
{
	struct yaml_state *y = st;

	(void)path;
	(void)size;
	memset(y, 0, offsetof(struct yaml_state, ring));
	if (pthread_mutex_init(&y->mu, NULL) != 0)
		return;
	if (pthread_cond_init(&y->more, NULL) != 0) {
		pthread_mutex_destroy(&y->mu);
		return;
	}
	if (pthread_cond_init(&y->room, NULL) != 0) {
		pthread_cond_destroy(&y->more);
		pthread_mutex_destroy(&y->mu);
		return;
	}
	y->sync_ok = true;
	y->started = pthread_create(&y->thread, NULL, parse_thread, y) == 0;
}

static int yaml_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	struct yaml_state *y = st;
	int done;

	(void)off;
	if (!y->started)
		return 1;
	pthread_mutex_lock(&y->mu);
	while (len && !y->done) {
		size_t tail, part;

		if (y->count == YAML_RING) {
			pthread_cond_wait(&y->room, &y->mu);
			continue;
		}
		tail = (y->head + y->count) % YAML_RING;
		part = YAML_RING - y->count;
		if (part > YAML_RING - tail)
			part = YAML_RING - tail;
		if (part > len)
			part = len;
		memcpy(y->ring + tail, buf, part);
		y->count += part;
		buf += part;
		len -= part;
		pthread_cond_signal(&y->more);
	}
	done = y->done;
	pthread_mutex_unlock(&y->mu);
	return done;
}

/* Tells the parser the input ended and waits for it. */
static void finish(struct yaml_state *y)
{
	if (!y->started || y->joined)
		return;
	pthread_mutex_lock(&y->mu);
	y->eof = true;
	pthread_cond_signal(&y->more);
	pthread_mutex_unlock(&y->mu);
	pthread_join(y->thread, NULL);
	y->joined = true;
}

static int yaml_final(void *st, char *reason, size_t rlen)
{
	struct yaml_state *y = st;

	if (!y->started) {
		snprintf(reason, rlen, "could not start the YAML parser thread");
		return 0;
	}
	finish(y);
	if (!y->ok)
		snprintf(reason, rlen, "%s", y->reason);
	return y->ok;
}

static void yaml_release(void *st)
{
	struct yaml_state *y = st;

	if (!y->sync_ok || y->released)
		return;
	finish(y);
	pthread_cond_destroy(&y->room);
	pthread_cond_destroy(&y->more);
	pthread_mutex_destroy(&y->mu);
	y->released = true;
}

const struct esc_fmt_ops esc_fmt_yaml = {
	.fmt = ESC_FMT_YAML,
	.state_size = sizeof(struct yaml_state),
	.init = yaml_init,
	.update = yaml_update,
	.final = yaml_final,
	.sniff = NULL,
	.full_scan = true,
	.release = yaml_release,
};
