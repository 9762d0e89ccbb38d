/* The C API's edges: bad tables and arguments refused with the field named, every outcome
 * code, cursors and laps, waits, time queries, memfd and file segments, liveness, takeover,
 * list and remove. Run plain and under ASan + UBSan (ctest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sample.h"

static int failures = 0;

#define EXPECT(cond)                                                                       \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: expected %s (last error: %s)\n", __FILE__, __LINE__,   \
                    #cond, rtshm_last_error());                                            \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

#define EXPECT_STATUS(call, want) EXPECT((call) == (want))
#define EXPECT_ERROR_MENTIONS(text) EXPECT(strstr(rtshm_last_error(), (text)) != NULL)

static char names[8][64];

/* A segment name of this test (removed at the end). */
static const char *name(int k) {
    snprintf(names[k], sizeof names[k], "c-unit-%d-%d", (int)getpid(), k);
    return names[k];
}

/* ---- field tables ---------------------------------------------------------------------- */

typedef struct {
    float x, y;
} Point;

typedef struct {
    uint32_t id;
    Point points[2];
    double m[2][3];
} Shape;

static const rtshm_field POINT_FIELDS[] = {
    {"x", RTSHM_F32, offsetof(Point, x), {0}, NULL},
    {"y", RTSHM_F32, offsetof(Point, y), {0}, NULL},
};
static const rtshm_type POINT = {"Point", sizeof(Point), _Alignof(Point), POINT_FIELDS, 2};
static const rtshm_field SHAPE_FIELDS[] = {
    {"id", RTSHM_U32, offsetof(Shape, id), {0}, NULL},
    {"points", RTSHM_STRUCT, offsetof(Shape, points), {2}, &POINT},
    {"m", RTSHM_F64, offsetof(Shape, m), {2, 3}, NULL},
};
static const rtshm_type SHAPE = {"Shape", sizeof(Shape), _Alignof(Shape), SHAPE_FIELDS, 3};

static void bad_tables(void) {
    EXPECT_STATUS(rtshm_type_check(&SHAPE), RTSHM_OK);
    EXPECT_STATUS(rtshm_type_check(&SAMPLE_TYPE), RTSHM_OK);
    EXPECT_STATUS(rtshm_type_check(NULL), RTSHM_ERR_INVALID_ARGUMENT);

    rtshm_field f[2] = {{"a", RTSHM_U32, 0, {0}, NULL}, {"b", RTSHM_U64, 4, {0}, NULL}};
    rtshm_type t = {"T", 16, 8, f, 2};
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT); /* b misaligned */
    EXPECT_ERROR_MENTIONS("`T.b`");
    EXPECT_ERROR_MENTIONS("not aligned to 8");

    f[1].offset = 8;
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_OK);
    f[1].offset = 16;
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT); /* past the end */
    EXPECT_ERROR_MENTIONS("ends past");
    f[1].offset = 8;
    f[1].count[0] = 2;
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT); /* 16 bytes at 8 */
    f[1].count[0] = 0;
    f[1].count[1] = 2;
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT); /* zero then non-zero */
    EXPECT_ERROR_MENTIONS("zero array length");
    f[1].count[1] = 0;
    f[0].count[0] = 3; /* a: 12 bytes, overlapping b */
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("overlaps");
    f[0].count[0] = 0;
    f[1].kind = 0;
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("has no type");
    f[1].kind = RTSHM_STRUCT; /* without a nested table */
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT);
    f[1].kind = RTSHM_U64;
    f[1].name = "not an identifier";
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT);
    f[1].name = NULL;
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT);
    f[1].name = "b";
    t.size = 12; /* not a multiple of the alignment */
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT);
    t.size = 16;
    t.fields = NULL;
    EXPECT_STATUS(rtshm_type_check(&t), RTSHM_ERR_INVALID_ARGUMENT);

    /* A table that contains itself ends at the depth limit, not in a stack overflow. */
    rtshm_field loop_field = {"self", RTSHM_STRUCT, 0, {0}, NULL};
    rtshm_type loop = {"Loop", 8, 8, &loop_field, 1};
    loop_field.nested = &loop;
    EXPECT_STATUS(rtshm_type_check(&loop), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("nests more than");
}

/* ---- arguments ------------------------------------------------------------------------- */

static void bad_arguments(void) {
    rtshm_publisher *p = NULL;
    EXPECT_STATUS(rtshm_publisher_create(name(0), 7, &SAMPLE_TYPE, 1, NULL, &p), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("unknown kind 7");
    EXPECT_STATUS(rtshm_publisher_create(NULL, RTSHM_SEQLOCK, &SAMPLE_TYPE, 1, NULL, &p), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(rtshm_publisher_create(name(0), RTSHM_SEQLOCK, &SAMPLE_TYPE, 1, NULL, NULL), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(rtshm_publisher_create("a/b", RTSHM_SEQLOCK, &SAMPLE_TYPE, 1, NULL, &p), RTSHM_ERR_INVALID_NAME);
    EXPECT_STATUS(rtshm_publisher_create(name(0), RTSHM_RING, &SAMPLE_TYPE, 3, NULL, &p), RTSHM_ERR_INVALID_ARGUMENT);
    rtshm_create_options bad_clock = {0};
    bad_clock.clock = 9;
    EXPECT_STATUS(rtshm_publisher_create(name(0), RTSHM_SEQLOCK, &SAMPLE_TYPE, 1, &bad_clock, &p), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT(p == NULL);

    Sample s = sample(1);
    EXPECT_STATUS(rtshm_publisher_store(NULL, &s, sizeof s, NULL), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(rtshm_subscriber_latest(NULL, &s, sizeof s, NULL), RTSHM_ERR_INVALID_ARGUMENT);
    rtshm_publisher_close(NULL);
    rtshm_subscriber_close(NULL);

    rtshm_subscriber *sub = NULL;
    EXPECT_STATUS(rtshm_subscriber_open(name(0), RTSHM_SEQLOCK, &SAMPLE_TYPE, NULL, &sub), RTSHM_ERR_NOT_FOUND);
    rtshm_open_options wait = {0};
    wait.wait_for_creation_ns = 20000000; /* 20 ms, then not found */
    EXPECT_STATUS(rtshm_subscriber_open(name(0), RTSHM_SEQLOCK, &SAMPLE_TYPE, &wait, &sub), RTSHM_ERR_NOT_FOUND);

    EXPECT(strcmp(rtshm_status_name(RTSHM_ERR_TYPE_MISMATCH), "RTSHM_ERR_TYPE_MISMATCH") == 0);
    EXPECT(strcmp(rtshm_status_name(12345), "RTSHM_UNKNOWN") == 0);
}

/* ---- a SeqLock, the wrong struct, sizes, kinds ----------------------------------------- */

static void seqlock(void) {
    rtshm_publisher *p = NULL;
    EXPECT_STATUS(rtshm_publisher_create(name(1), RTSHM_SEQLOCK, &SHAPE, 1, NULL, &p), RTSHM_OK);
    rtshm_publisher *again = NULL;
    EXPECT_STATUS(rtshm_publisher_create(name(1), RTSHM_SEQLOCK, &SHAPE, 1, NULL, &again), RTSHM_ERR_ALREADY_EXISTS);

    rtshm_subscriber *s = NULL;
    EXPECT_STATUS(rtshm_subscriber_open(name(1), RTSHM_SEQLOCK, &SHAPE, NULL, &s), RTSHM_OK);
    Shape got, v = {7, {{1, 2}, {3, 4}}, {{1, 2, 3}, {4, 5, 6}}};
    EXPECT_STATUS(rtshm_subscriber_latest(s, &got, sizeof got, NULL), RTSHM_NOTHING);
    uint64_t version = 0, number = 99;
    EXPECT_STATUS(rtshm_publisher_store(p, &v, sizeof v, &version), RTSHM_OK);
    EXPECT(version == 1);
    EXPECT_STATUS(rtshm_subscriber_latest(s, &got, sizeof got, &number), RTSHM_OK);
    EXPECT(number == 0 && memcmp(&got, &v, sizeof v) == 0);
    EXPECT_STATUS(rtshm_publisher_store(p, &v, sizeof v - 1, NULL), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("is 71 bytes");
    EXPECT_STATUS(rtshm_subscriber_latest(s, &got, sizeof got + 8, NULL), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(rtshm_publisher_push(p, &v, sizeof v, NULL), RTSHM_ERR_KIND_MISMATCH);

    /* Waits: nothing newer within 10 ms; a store ends the wait. */
    EXPECT_STATUS(rtshm_subscriber_wait_beyond(s, 1, 10000000, NULL), RTSHM_TIMED_OUT);
    EXPECT_STATUS(rtshm_publisher_store(p, &v, sizeof v, NULL), RTSHM_OK);
    uint64_t now = 0;
    EXPECT_STATUS(rtshm_subscriber_wait_beyond(s, 1, 10000000, &now), RTSHM_OK);
    EXPECT(now == 2);

    /* The wrong struct: a field renamed, a field retyped, a field missing. Each is named. */
    rtshm_field renamed[3];
    memcpy(renamed, SHAPE_FIELDS, sizeof renamed);
    renamed[0].name = "ident";
    rtshm_type wrong = SHAPE;
    wrong.fields = renamed;
    rtshm_subscriber *w = NULL;
    EXPECT_STATUS(rtshm_subscriber_open(name(1), RTSHM_SEQLOCK, &wrong, NULL, &w), RTSHM_ERR_TYPE_MISMATCH);
    EXPECT_ERROR_MENTIONS("`ident`");
    memcpy(renamed, SHAPE_FIELDS, sizeof renamed);
    renamed[0].kind = RTSHM_I32;
    EXPECT_STATUS(rtshm_subscriber_open(name(1), RTSHM_SEQLOCK, &wrong, NULL, &w), RTSHM_ERR_TYPE_MISMATCH);
    EXPECT_ERROR_MENTIONS("`id`");
    rtshm_field point_fields[2];
    memcpy(point_fields, POINT_FIELDS, sizeof point_fields);
    point_fields[1].name = "z";
    rtshm_type point = POINT;
    point.fields = point_fields;
    memcpy(renamed, SHAPE_FIELDS, sizeof renamed);
    renamed[1].nested = &point;
    EXPECT_STATUS(rtshm_subscriber_open(name(1), RTSHM_SEQLOCK, &wrong, NULL, &w), RTSHM_ERR_TYPE_MISMATCH);
    EXPECT_ERROR_MENTIONS("points[].");
    EXPECT(w == NULL);
    EXPECT_STATUS(rtshm_subscriber_open(name(1), RTSHM_RING, &SHAPE, NULL, &w), RTSHM_ERR_KIND_MISMATCH);

    /* Liveness: alive while the publisher lives; a persisted, closed one is unowned, and a
     * new publisher takes it over with its value. */
    rtshm_writer_status status;
    EXPECT_STATUS(rtshm_subscriber_writer_status(s, 1000000000, &status), RTSHM_OK);
    EXPECT(status.state == RTSHM_WRITER_ALIVE && status.pid == (int32_t)getpid());
    EXPECT_STATUS(rtshm_publisher_open_existing(name(1), RTSHM_SEQLOCK, &SHAPE, NULL, &again), RTSHM_ERR_WRITER_ALIVE);
    EXPECT_STATUS(rtshm_publisher_persist(p), RTSHM_OK);
    rtshm_publisher_close(p);
    EXPECT_STATUS(rtshm_subscriber_writer_status(s, 1000000000, &status), RTSHM_OK);
    EXPECT(status.state == RTSHM_WRITER_UNOWNED);
    EXPECT_STATUS(rtshm_publisher_create_or_recover(name(1), RTSHM_SEQLOCK, &SHAPE, 1, NULL, &p), RTSHM_OK);
    EXPECT(rtshm_publisher_written(p) == 2 && rtshm_publisher_epoch(p) == 1);
    EXPECT_STATUS(rtshm_subscriber_latest(s, &got, sizeof got, NULL), RTSHM_OK);
    EXPECT(memcmp(&got, &v, sizeof v) == 0);
    rtshm_subscriber_close(s);
    rtshm_publisher_close(p);
}

/* ---- a ring: cursors, laps, get -------------------------------------------------------- */

static void ring(void) {
    rtshm_publisher *p = NULL;
    EXPECT_STATUS(rtshm_publisher_create(name(2), RTSHM_RING, &SAMPLE_TYPE, 4, NULL, &p), RTSHM_OK);
    rtshm_subscriber *s = NULL;
    EXPECT_STATUS(rtshm_subscriber_open(name(2), RTSHM_RING, &SAMPLE_TYPE, NULL, &s), RTSHM_OK);
    EXPECT(rtshm_subscriber_capacity(s) == 4 && rtshm_subscriber_kind(s) == RTSHM_RING);
    rtshm_cursor c = rtshm_subscriber_cursor(s, RTSHM_FROM_NEXT);
    Sample got;
    EXPECT_STATUS(rtshm_subscriber_next(s, &c, &got, sizeof got, NULL), RTSHM_NOTHING);
    EXPECT_STATUS(rtshm_subscriber_next_wait(s, &c, &got, sizeof got, 5000000, NULL), RTSHM_TIMED_OUT);
    EXPECT_STATUS(rtshm_subscriber_get(s, 0, &got, sizeof got), RTSHM_ERR_NOT_YET);
    for (uint64_t i = 0; i < 10; i++) {
        Sample v = sample(i);
        uint64_t n = 99;
        EXPECT_STATUS(rtshm_publisher_push(p, &v, sizeof v, &n), RTSHM_OK);
        EXPECT(n == i);
    }
    /* Six values were overwritten before the cursor read them. */
    EXPECT_STATUS(rtshm_subscriber_next(s, &c, &got, sizeof got, NULL), RTSHM_LAPPED);
    EXPECT(c.missed == 6 && c.position == 6);
    uint64_t n = 0;
    for (uint64_t i = 6; i < 10; i++) {
        EXPECT_STATUS(rtshm_subscriber_next(s, &c, &got, sizeof got, &n), RTSHM_OK);
        Sample want = sample(i);
        EXPECT(n == i && memcmp(&got, &want, sizeof got) == 0);
    }
    EXPECT_STATUS(rtshm_subscriber_get(s, 1, &got, sizeof got), RTSHM_ERR_OVERWRITTEN);
    EXPECT_STATUS(rtshm_subscriber_get(s, 9, &got, sizeof got), RTSHM_OK);
    EXPECT(got.n == 9);
    rtshm_cursor newest = rtshm_subscriber_cursor(s, RTSHM_FROM_NEWEST);
    EXPECT(newest.position == 9);
    rtshm_cursor oldest = rtshm_subscriber_cursor(s, RTSHM_FROM_OLDEST);
    EXPECT(oldest.position == 6);

    /* Listed, then removed. */
    rtshm_subscriber_close(s);
    rtshm_publisher_close(p);
}

/* ---- a time series --------------------------------------------------------------------- */

typedef struct {
    uint64_t stamp_ns;
    uint64_t seq;
    Sample value;
} Record;

static void series(void) {
    rtshm_publisher *p = NULL;
    EXPECT_STATUS(rtshm_publisher_create(name(3), RTSHM_TIMESERIES, &SAMPLE_TYPE, 16, NULL, &p), RTSHM_OK);
    rtshm_subscriber *s = NULL;
    EXPECT_STATUS(rtshm_subscriber_open(name(3), RTSHM_TIMESERIES, &SAMPLE_TYPE, NULL, &s), RTSHM_OK);
    EXPECT(rtshm_subscriber_record_size(s) == sizeof(Record));
    EXPECT(rtshm_subscriber_value_offset(s) == offsetof(Record, value));
    Record r, b, a;
    double alpha = 0;
    EXPECT_STATUS(rtshm_subscriber_closest(s, 5, 5, &r, sizeof r), RTSHM_NOTHING);
    EXPECT_STATUS(rtshm_subscriber_interpolation_pair(s, 5, &b, &a, sizeof(Record), &alpha), RTSHM_NOTHING);
    for (uint64_t i = 0; i < 20; i++) {
        Sample v = sample(i);
        EXPECT_STATUS(rtshm_publisher_push_stamped(p, 100 * (i + 1), i, &v, sizeof v, NULL), RTSHM_OK);
    }
    Sample v = sample(0);
    EXPECT_STATUS(rtshm_publisher_push_stamped(p, 50, 0, &v, sizeof v, NULL), RTSHM_ERR_NON_MONOTONIC);
    /* Held: stamps 500..2000 (writes 4..19). */
    EXPECT_STATUS(rtshm_subscriber_closest(s, 1040, 50, &r, sizeof r), RTSHM_OK);
    EXPECT(r.stamp_ns == 1000 && r.value.n == 9);
    EXPECT_STATUS(rtshm_subscriber_closest(s, 1050, 10, &r, sizeof r), RTSHM_NOTHING);
    EXPECT_STATUS(rtshm_subscriber_interpolation_pair(s, 1025, &b, &a, sizeof(Record), &alpha), RTSHM_OK);
    EXPECT(b.stamp_ns == 1000 && a.stamp_ns == 1100 && alpha == 0.25);
    EXPECT_STATUS(rtshm_subscriber_interpolation_pair(s, 100, &b, &a, sizeof(Record), &alpha), RTSHM_ERR_OUT_OF_RANGE);
    EXPECT_STATUS(rtshm_subscriber_interpolation_pair(s, 1025, &b, &b, sizeof(Record), &alpha), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("overlap");
    EXPECT_STATUS(rtshm_subscriber_interpolation_pair(s, 1025, NULL, &a, sizeof(Record), &alpha), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_ERROR_MENTIONS("NULL");
    Record window[4];
    size_t count = 99;
    EXPECT_STATUS(rtshm_subscriber_range(s, 0, 650, window, sizeof(Record), 4, &count), RTSHM_OK);
    EXPECT(count == 2 && window[0].stamp_ns == 500 && window[1].stamp_ns == 600);
    EXPECT_STATUS(rtshm_subscriber_range(s, 1000, 5000, window, sizeof(Record), 4, &count), RTSHM_OK);
    EXPECT(count == 4 && window[3].stamp_ns == 1300); /* full: more follow */
    EXPECT_STATUS(rtshm_subscriber_range(s, 3000, 5000, window, sizeof(Record), 4, &count), RTSHM_OK);
    EXPECT(count == 0);
    EXPECT_STATUS(rtshm_subscriber_range(s, 0, 5000, window, sizeof(Sample), 4, &count), RTSHM_ERR_INVALID_ARGUMENT);
    rtshm_subscriber_close(s);
    rtshm_publisher_close(p);
}

/* ---- memfd and file segments ------------------------------------------------------------ */

static void memfd_and_file(void) {
    rtshm_publisher *p = NULL;
    EXPECT_STATUS(rtshm_publisher_create_memfd("unit", RTSHM_RING, &SAMPLE_TYPE, 8, NULL, &p), RTSHM_OK);
    Sample v = sample(3), got;
    EXPECT_STATUS(rtshm_publisher_push(p, &v, sizeof v, NULL), RTSHM_OK);
    int fd = -1;
    EXPECT_STATUS(rtshm_publisher_share_fd(p, &fd), RTSHM_OK);
    rtshm_subscriber *s = NULL;
    EXPECT_STATUS(rtshm_subscriber_open_fd(fd, RTSHM_RING, &SAMPLE_TYPE, NULL, &s), RTSHM_OK);
    close(fd); /* the subscriber keeps its own */
    EXPECT_STATUS(rtshm_subscriber_get(s, 0, &got, sizeof got), RTSHM_OK);
    EXPECT(got.n == 3);
    EXPECT_STATUS(rtshm_subscriber_open_fd(-1, RTSHM_RING, &SAMPLE_TYPE, NULL, &s), RTSHM_ERR_INVALID_ARGUMENT);
    rtshm_subscriber_close(s);
    rtshm_publisher_close(p);

    char path[128];
    snprintf(path, sizeof path, "/tmp/c-unit-%d.seg", (int)getpid());
    rtshm_create_options o = {0};
    o.mode = 0640;
    o.clock = RTSHM_CLOCK_REALTIME;
    EXPECT_STATUS(rtshm_publisher_create_file(path, RTSHM_SEQLOCK, &SAMPLE_TYPE, 1, &o, &p), RTSHM_OK);
    EXPECT_STATUS(rtshm_publisher_store(p, &v, sizeof v, NULL), RTSHM_OK);
    EXPECT_STATUS(rtshm_subscriber_open_file(path, RTSHM_SEQLOCK, &SAMPLE_TYPE, NULL, &s), RTSHM_OK);
    EXPECT_STATUS(rtshm_subscriber_latest(s, &got, sizeof got, NULL), RTSHM_OK);
    EXPECT(got.n == 3);
    rtshm_subscriber_close(s);
    rtshm_publisher_close(p);
    unlink(path);
}

/* ---- list and remove ------------------------------------------------------------------- */

static void count_ours(const rtshm_segment_info *info, void *context) {
    if (strcmp(info->name, names[4]) == 0 && info->error == NULL && info->kind == RTSHM_RING &&
        info->capacity == 8 && info->written == 1 && info->record_size == sizeof(Sample)) {
        ++*(int *)context;
    }
}

static void list_and_remove(void) {
    rtshm_publisher *p = NULL;
    EXPECT_STATUS(rtshm_publisher_create(name(4), RTSHM_RING, &SAMPLE_TYPE, 8, NULL, &p), RTSHM_OK);
    Sample v = sample(1);
    EXPECT_STATUS(rtshm_publisher_push(p, &v, sizeof v, NULL), RTSHM_OK);
    EXPECT_STATUS(rtshm_publisher_persist(p), RTSHM_OK);
    rtshm_publisher_close(p);
    int found = 0;
    EXPECT_STATUS(rtshm_list(count_ours, &found), RTSHM_OK);
    EXPECT(found == 1);
    EXPECT_STATUS(rtshm_list(NULL, NULL), RTSHM_ERR_INVALID_ARGUMENT);
    EXPECT_STATUS(rtshm_remove(name(4)), RTSHM_OK);
    EXPECT_STATUS(rtshm_remove(name(4)), RTSHM_ERR_NOT_FOUND);
    found = 0;
    EXPECT_STATUS(rtshm_list(count_ours, &found), RTSHM_OK);
    EXPECT(found == 0);
}

int main(void) {
    bad_tables();
    bad_arguments();
    seqlock();
    ring();
    series();
    memfd_and_file();
    list_and_remove();
    rtshm_remove(name(1));
    if (failures) {
        fprintf(stderr, "unit_c: %d failures\n", failures);
        return 1;
    }
    printf("unit_c: all passed\n");
    return 0;
}
