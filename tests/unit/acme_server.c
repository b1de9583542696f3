/* The scripted ACME server of acme_server.h. */
#include "acme_server.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"

long script_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000L;
}

/* text with every "{base}" replaced (free()). */
static char *expand(const char *text, const char *base)
{
	size_t n = strlen(text) + 1;
	char *out, *o;

	for (const char *p = text; (p = strstr(p, "{base}")) != NULL; p += 6)
		n += strlen(base);
	out = o = malloc(n);
	while (*text) {
		if (strncmp(text, "{base}", 6) == 0) {
			o = stpcpy(o, base);
			text += 6;
		} else {
			*o++ = *text++;
		}
	}
	*o = '\0';
	return out;
}

/* Read one request (headers, then Content-Length bytes) into seen. */
static int read_request(int fd, struct script_seen *seen)
{
	char buf[65536];
	size_t len = 0;
	char *end = NULL, *cl;
	long body_len = 0;

	while (end == NULL) {
		ssize_t got = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (got <= 0)
			return -1;
		len += (size_t)got;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	cl = strcasestr(buf, "\r\ncontent-length:");
	if (cl != NULL && cl < end)
		body_len = strtol(cl + 17, NULL, 10);
	while ((long)(len - (size_t)(end + 4 - buf)) < body_len) {
		ssize_t got = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (got <= 0)
			return -1;
		len += (size_t)got;
	}
	buf[len] = '\0';
	sscanf(buf, "%7s %127s", seen->method, seen->path);
	seen->body = strndup(end + 4, (size_t)body_len);
	seen->at_ms = script_mono_ms();
	return 0;
}

static void *serve(void *arg)
{
	struct script_server *s = arg;

	for (;;) {
		int fd = accept(s->fd, NULL, NULL);
		struct script_seen *seen;
		const struct script_answer *a;
		char *headers, *body, head[4096];

		if (fd < 0)
			return NULL;
		if (s->n_seen == sizeof(s->seen) / sizeof(s->seen[0])) {
			close(fd);
			continue;
		}
		seen = &s->seen[s->n_seen];
		if (read_request(fd, seen) != 0) {
			close(fd);
			continue;
		}
		s->n_seen++;
		if (s->stop != NULL && s->n_seen == s->stop_at)
			*s->stop = 1;
		a = s->n_seen <= s->n_script ? &s->script[s->n_seen - 1]
					     : &(struct script_answer){"", 500, "", "script exhausted"};
		headers = expand(a->headers, s->base);
		body = expand(a->body, s->base);
		snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 a->status, headers, strlen(body));
		if (write(fd, head, strlen(head)) < 0 ||
		    (strcmp(seen->method, "HEAD") != 0 && write(fd, body, strlen(body)) < 0))
			fprintf(stderr, "server: write failed\n");
		free(headers);
		free(body);
		close(fd);
	}
}

int script_server_start(struct script_server *s, const struct script_answer *script, size_t n)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t alen = sizeof(addr);

	memset(s, 0, sizeof(*s));
	s->script = script;
	s->n_script = n;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(s->fd, 8) != 0 || getsockname(s->fd, (struct sockaddr *)&addr, &alen) != 0) {
		perror("script server");
		return -1;
	}
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", ntohs(addr.sin_port));
	return pthread_create(&s->thread, NULL, serve, s) == 0 ? 0 : -1;
}

int script_server_stop(struct script_server *s)
{
	int off_script = 0;

	shutdown(s->fd, SHUT_RDWR);
	close(s->fd);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->n_seen; i++) {
		if (i < s->n_script && strcmp(s->seen[i].path, s->script[i].path) == 0)
			continue;
		fprintf(stderr, "request %zu: %s, script expected %s\n", i, s->seen[i].path,
			i < s->n_script ? s->script[i].path : "nothing");
		off_script++;
	}
	return off_script;
}

void script_server_free(struct script_server *s)
{
	for (size_t i = 0; i < s->n_seen; i++)
		free(s->seen[i].body);
}

const char *script_header_of(const struct script_server *s, size_t i, const char *name, char *out,
			     size_t size)
{
	json_t *jws = json_loads(s->seen[i].body, 0, NULL), *header = NULL;
	const char *prot = json_string_value(json_object_get(jws, "protected")), *value;
	size_t len;
	unsigned char *text = prot ? da_b64url_decode(prot, &len) : NULL;

	if (text != NULL)
		header = json_loadb((const char *)text, len, 0, NULL);
	value = json_string_value(json_object_get(header, name));
	snprintf(out, size, "%s", value ? value : "");
	json_decref(header);
	json_decref(jws);
	free(text);
	return out;
}

