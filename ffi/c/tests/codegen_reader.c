/* A C reader of a Rust segment, compiled from `rtshm codegen --lang c NAME > odometry.h`
 * (see codegen_reader.cpp for the C++ one): reads what the Rust program stored.
 *   codegen_reader_c NAME */
#include <stdio.h>

#include "odometry.h" /* generated: Odometry, Wheel, Odometry_type */

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    rtshm_subscriber *sub = NULL;
    if (rtshm_subscriber_open(argv[1], RTSHM_SEQLOCK, &Odometry_type, NULL, &sub) != RTSHM_OK) {
        fprintf(stderr, "codegen_reader_c: %s\n", rtshm_last_error());
        return 1;
    }
    Odometry o;
    int ok = rtshm_subscriber_latest(sub, &o, sizeof o, NULL) == RTSHM_OK && o.stamp == 123456789u &&
             o.pose[2] == 3.125 && o.wheels[3].temperature == 23 && o.covariance[2][1] == 7.0f / 8.0f &&
             o.mode == 7u;
    rtshm_subscriber_close(sub);
    printf("codegen_reader_c: %s\n", ok ? "read the Rust segment" : "WRONG VALUES");
    return ok ? 0 : 1;
}
