/* The little the stand-in needs from the OS: one thread, a monotonic clock, a mutex. */
#ifndef STANDIN_PLATFORM_H
#define STANDIN_PLATFORM_H

#include <stdint.h>

#ifdef _WIN32
#include <windows.h>
typedef HANDLE standin_thread;
static inline int standin_thread_start(standin_thread *t, DWORD (WINAPI *fn)(void *), void *arg)
{
    *t = CreateThread(NULL, 0, fn, arg, 0, NULL);
    return *t != NULL ? 0 : -1;
}
static inline void standin_thread_join(standin_thread t)
{
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}
static inline double standin_seconds(void)
{
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
}
#define STANDIN_THREAD_FN(name) DWORD WINAPI name(void *arg)
#define STANDIN_THREAD_RETURN return 0
#else
#include <pthread.h>
#include <time.h>
typedef pthread_t standin_thread;
static inline int standin_thread_start(standin_thread *t, void *(*fn)(void *), void *arg)
{
    return pthread_create(t, NULL, fn, arg);
}
static inline void standin_thread_join(standin_thread t) { pthread_join(t, NULL); }
static inline double standin_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
#define STANDIN_THREAD_FN(name) void *name(void *arg)
#define STANDIN_THREAD_RETURN return NULL
#endif

#endif
