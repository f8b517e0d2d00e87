/*
 * One copy_file_range(2) that a SIGALRM interrupts after DELAY_MS milliseconds. The handler returns
 * and has no SA_RESTART, so the call itself sees the signal: it prints "copied N" (a short count, or
 * all of it) or "errno E" (EINTR is 4), and exits 0 either way.
 * Usage: interrupted-copy SRC SRC_OFFSET DST LENGTH DELAY_MS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s SRC SRC_OFFSET DST LENGTH DELAY_MS\n", argv[0]);
        return 2;
    }
    int in = open(argv[1], O_RDONLY);
    int out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) {
        perror("open");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGALRM, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }
    long delay = atol(argv[5]);
    struct itimerval timer;
    memset(&timer, 0, sizeof timer);
    timer.it_value.tv_sec = delay / 1000;
    timer.it_value.tv_usec = (delay % 1000) * 1000;
    if (setitimer(ITIMER_REAL, &timer, NULL) != 0) {
        perror("setitimer");
        return 1;
    }
    loff_t offIn = atoll(argv[2]), offOut = 0;
    ssize_t n = copy_file_range(in, &offIn, out, &offOut, (size_t)atoll(argv[4]), 0);
    if (n < 0) {
        printf("errno %d alarms %d\n", errno, (int)alarms);
    } else {
        printf("copied %zd alarms %d\n", n, (int)alarms);
    }
    return 0;
}
