/*
 * A Lambda custom runtime in one file, for the provided.al2023 function of the sam-local
 * fixture: it loops on the Runtime API ($AWS_LAMBDA_RUNTIME_API, HTTP/1.1 with
 * "Connection: close"), and answers each event with
 * {"function": "<AWS_LAMBDA_FUNCTION_NAME>", "layer": "<first line of /opt/provided/greeting.txt>"}.
 * ci/sam-local-test compiles it with `gcc -static -O2 -o bootstrap bootstrap.c`, so it runs on any
 * base image. No dependencies, no heap. The API's host must be an IPv4 address (the emulator's is
 * 127.0.0.1:9001).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char host[256];
static char port[16];

/* Sends REQUEST to the Runtime API and reads the whole answer into ANSWER (NUL-terminated). */
static int exchange(const char *request, size_t length, char *answer, size_t capacity) {
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)atoi(port));
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    size_t sent = 0;
    while (sent < length) {
        ssize_t n = write(fd, request + sent, length - sent);
        if (n <= 0) break;
        sent += (size_t)n;
    }
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, answer + got, capacity - 1 - got);
        if (n <= 0) break;
        got += (size_t)n;
        if (got == capacity - 1) break;
    }
    answer[got] = 0;
    close(fd);
    return (int)got;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    const char *function = getenv("AWS_LAMBDA_FUNCTION_NAME");
    if (!api) return 1;
    if (!function) function = "unknown";
    const char *colon = strrchr(api, ':');
    if (!colon) return 1;
    snprintf(host, sizeof host, "%.*s", (int)(colon - api), api);
    snprintf(port, sizeof port, "%s", colon + 1);

    char greeting[256] = "no layer";
    FILE *file = fopen("/opt/provided/greeting.txt", "r");
    if (file) {
        if (fgets(greeting, sizeof greeting, file)) greeting[strcspn(greeting, "\r\n\"\\")] = 0;
        fclose(file);
    }

    static char request[4096], answer[65536], body[1024];
    for (;;) {
        int n = snprintf(request, sizeof request,
                         "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", api);
        if (exchange(request, (size_t)n, answer, sizeof answer) < 0) return 2;
        const char *id = strcasestr(answer, "Lambda-Runtime-Aws-Request-Id:");
        if (!id) return 3;
        id += strlen("Lambda-Runtime-Aws-Request-Id:");
        while (*id == ' ') id++;
        char request_id[128];
        snprintf(request_id, sizeof request_id, "%.*s", (int)strcspn(id, "\r\n"), id);
        int length = snprintf(body, sizeof body, "{\"function\": \"%s\", \"layer\": \"%s\"}", function, greeting);
        n = snprintf(request, sizeof request,
                     "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                     request_id, api, length, body);
        if (exchange(request, (size_t)n, answer, sizeof answer) < 0) return 4;
    }
}
