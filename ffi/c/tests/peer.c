/* The C peer of the interop tests (ffi/c/tests/interop.sh):
 *   peer_c write PREFIX   creates PREFIX-seqlock, PREFIX-ring and PREFIX-series, writes COUNT
 *                         samples into each, persists them and exits
 *   peer_c read PREFIX    opens them (as another language wrote them), checks every value and
 *                         the time queries, removes them; exit 0 if all held */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

#define CHECK(call)                                                                        \
    do {                                                                                   \
        rtshm_status s_ = (call);                                                          \
        if (s_ != RTSHM_OK) {                                                              \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call,             \
                    rtshm_status_name(s_), rtshm_last_error());                            \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define EXPECT(cond)                                                                       \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);            \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

static void name_of(char *out, size_t len, const char *prefix, const char *what) {
    snprintf(out, len, "%s-%s", prefix, what);
}

static int same(const Sample *a, const Sample *b) { return memcmp(a, b, sizeof *a) == 0; }

static void write_all(const char *prefix) {
    char name[256];
    rtshm_publisher *lock = NULL, *ring = NULL, *series = NULL;
    name_of(name, sizeof name, prefix, "seqlock");
    CHECK(rtshm_publisher_create(name, RTSHM_SEQLOCK, &SAMPLE_TYPE, 1, NULL, &lock));
    name_of(name, sizeof name, prefix, "ring");
    CHECK(rtshm_publisher_create(name, RTSHM_RING, &SAMPLE_TYPE, CAPACITY, NULL, &ring));
    name_of(name, sizeof name, prefix, "series");
    CHECK(rtshm_publisher_create(name, RTSHM_TIMESERIES, &SAMPLE_TYPE, CAPACITY, NULL, &series));
    for (uint64_t i = 0; i < COUNT; i++) {
        Sample s = sample(i);
        CHECK(rtshm_publisher_store(lock, &s, sizeof s, NULL));
        CHECK(rtshm_publisher_push(ring, &s, sizeof s, NULL));
        CHECK(rtshm_publisher_push_stamped(series, (i + 1) * STEP_NS, i, &s, sizeof s, NULL));
    }
    rtshm_publisher *all[] = {lock, ring, series};
    for (int k = 0; k < 3; k++) {
        CHECK(rtshm_publisher_persist(all[k]));
        rtshm_publisher_close(all[k]);
    }
}

/* A time-series record of Sample: what readers of a series read. */
typedef struct {
    uint64_t stamp_ns;
    uint64_t seq;
    Sample value;
} Record;

static void read_all(const char *prefix) {
    char lock_name[256], ring_name[256], series_name[256];
    name_of(lock_name, sizeof lock_name, prefix, "seqlock");
    name_of(ring_name, sizeof ring_name, prefix, "ring");
    name_of(series_name, sizeof series_name, prefix, "series");
    rtshm_subscriber *lock = NULL, *ring = NULL, *series = NULL;
    rtshm_open_options wait = {0};
    wait.wait_for_creation_ns = 5000000000ull;
    CHECK(rtshm_subscriber_open(lock_name, RTSHM_SEQLOCK, &SAMPLE_TYPE, &wait, &lock));
    CHECK(rtshm_subscriber_open(ring_name, RTSHM_RING, &SAMPLE_TYPE, &wait, &ring));
    CHECK(rtshm_subscriber_open(series_name, RTSHM_TIMESERIES, &SAMPLE_TYPE, &wait, &series));

    /* SeqLock: the latest value. */
    Sample got, want = sample(COUNT - 1);
    uint64_t number = 0;
    CHECK(rtshm_subscriber_latest(lock, &got, sizeof got, &number));
    EXPECT(same(&got, &want) && number == COUNT - 1);

    /* Ring: every value, in order, through a waiting cursor. */
    rtshm_cursor cursor = rtshm_subscriber_cursor(ring, RTSHM_FROM_OLDEST);
    for (uint64_t i = 0; i < COUNT; i++) {
        CHECK(rtshm_subscriber_next_wait(ring, &cursor, &got, sizeof got, 1000000000ull, &number));
        want = sample(i);
        EXPECT(number == i && same(&got, &want));
    }
    EXPECT(rtshm_subscriber_next(ring, &cursor, &got, sizeof got, NULL) == RTSHM_NOTHING);
    EXPECT(cursor.missed == 0);

    /* Time series: closest, interpolation pair, range. */
    EXPECT(rtshm_subscriber_record_size(series) == sizeof(Record));
    Record r, before, after;
    CHECK(rtshm_subscriber_closest(series, 51 * STEP_NS + 400, STEP_NS, &r, sizeof r));
    want = sample(50);
    EXPECT(r.stamp_ns == 51 * STEP_NS && r.seq == 50 && same(&r.value, &want));
    double alpha = -1;
    CHECK(rtshm_subscriber_interpolation_pair(series, 51 * STEP_NS + 500, &before, &after,
                                              sizeof(Record), &alpha));
    EXPECT(before.seq == 50 && after.seq == 51 && alpha == 0.5);
    Record window[32];
    size_t n = 0;
    CHECK(rtshm_subscriber_range(series, 10 * STEP_NS, 20 * STEP_NS, window, sizeof(Record), 32, &n));
    EXPECT(n == 11);
    for (size_t k = 0; k < n; k++) {
        want = sample(9 + k);
        EXPECT(window[k].stamp_ns == (10 + k) * STEP_NS && same(&window[k].value, &want));
    }

    rtshm_subscriber_close(lock);
    rtshm_subscriber_close(ring);
    rtshm_subscriber_close(series);
    CHECK(rtshm_remove(lock_name));
    CHECK(rtshm_remove(ring_name));
    CHECK(rtshm_remove(series_name));
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s write|read PREFIX\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "write") == 0) write_all(argv[2]);
    else if (strcmp(argv[1], "read") == 0) read_all(argv[2]);
    else return 2;
    return 0;
}
