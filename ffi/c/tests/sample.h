/* The value every interop peer (Rust, Python, C, C++) writes and checks: 48 bytes without
 * padding, so that the Rust side can be `bytemuck::Pod`. */
#ifndef RTSHM_TEST_SAMPLE_H
#define RTSHM_TEST_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rtshm.h"

typedef struct Sample {
    uint64_t n;
    double position[3];
    float quality;
    int32_t id;
    uint16_t frame;
    uint8_t flags[6];
} Sample;

#ifndef __cplusplus /* C++ declares it with RTSHM_SCHEMA (rtshm.hpp) */
static const rtshm_field SAMPLE_FIELDS[] = {
    {"n", RTSHM_U64, offsetof(Sample, n), {0}, NULL},
    {"position", RTSHM_F64, offsetof(Sample, position), {3}, NULL},
    {"quality", RTSHM_F32, offsetof(Sample, quality), {0}, NULL},
    {"id", RTSHM_I32, offsetof(Sample, id), {0}, NULL},
    {"frame", RTSHM_U16, offsetof(Sample, frame), {0}, NULL},
    {"flags", RTSHM_U8, offsetof(Sample, flags), {6}, NULL},
};

static const rtshm_type SAMPLE_TYPE = {"Sample", sizeof(Sample), _Alignof(Sample), SAMPLE_FIELDS,
                                       sizeof SAMPLE_FIELDS / sizeof SAMPLE_FIELDS[0]};
#endif

/* Values written per structure, the ring's and series' capacity, the series' stamp step. */
enum { COUNT = 100, CAPACITY = 128, STEP_NS = 1000 };

/* The i-th value. */
static inline Sample sample(uint64_t i) {
    Sample s;
    memset(&s, 0, sizeof s);
    s.n = i;
    s.position[0] = (double)i * 0.5;
    s.position[1] = -(double)i;
    s.position[2] = 1000.0 + (double)i;
    s.quality = (float)i / 4.0f;
    s.id = -(int32_t)i;
    s.frame = (uint16_t)(i % 65536);
    s.flags[0] = (uint8_t)(i % 256);
    for (int k = 1; k < 6; k++) s.flags[k] = (uint8_t)k;
    return s;
}

#endif
