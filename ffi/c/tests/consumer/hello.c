/* A C program built with pkg-config (`cc hello.c $(pkg-config --cflags --libs rtshm)`): lists
 * the segments on this machine. */
#include <stdio.h>

#include <rtshm.h>

static void print(const rtshm_segment_info *info, void *count) {
    ++*(int *)count;
    if (info->error) printf("%s: %s\n", info->name, info->error);
    else printf("%s: %llu values written\n", info->name, (unsigned long long)info->written);
}

int main(void) {
    int count = 0;
    if (rtshm_list(print, &count) != RTSHM_OK) {
        fprintf(stderr, "rtshm_list: %s\n", rtshm_last_error());
        return 1;
    }
    printf("%d segments\n", count);
    return 0;
}
