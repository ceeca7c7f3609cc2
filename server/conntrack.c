/* conntrack.c - deadlines for client connections: a locked list, shut down past their time. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "server/conntrack.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

struct ct_conn {
	struct ct_conn	*prev, *next;
	int		 fd;
	uint64_t	 deadline_ms;	/* 0: none */
};

struct conntrack {
	pthread_mutex_t	 mu;
	struct ct_conn	*head;
	size_t		 n;
};

struct conntrack *
conntrack_new(void)
{
	struct conntrack *ct = calloc(1, sizeof(*ct));

	if (ct != NULL)
		pthread_mutex_init(&ct->mu, NULL);
	return ct;
}

void
conntrack_free(struct conntrack *ct)
{
	struct ct_conn *c, *next;

	if (ct == NULL)
		return;
	for (c = ct->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	pthread_mutex_destroy(&ct->mu);
	free(ct);
}

struct ct_conn *
conntrack_open(struct conntrack *ct, int fd, uint64_t deadline_ms)
{
	struct ct_conn *c;

	if (ct == NULL || fd < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->deadline_ms = deadline_ms;
	pthread_mutex_lock(&ct->mu);
	c->next = ct->head;
	if (ct->head != NULL)
		ct->head->prev = c;
	ct->head = c;
	ct->n++;
	pthread_mutex_unlock(&ct->mu);
	return c;
}

void
conntrack_close(struct conntrack *ct, struct ct_conn *c)
{
	if (ct == NULL || c == NULL)
		return;
	pthread_mutex_lock(&ct->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ct->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ct->n--;
	pthread_mutex_unlock(&ct->mu);
	free(c);
}

void
conntrack_set(struct conntrack *ct, struct ct_conn *c, uint64_t deadline_ms)
{
	if (ct == NULL || c == NULL)
		return;
	pthread_mutex_lock(&ct->mu);
	c->deadline_ms = deadline_ms;
	pthread_mutex_unlock(&ct->mu);
}

void
conntrack_cap(struct conntrack *ct, struct ct_conn *c, uint64_t deadline_ms)
{
	if (ct == NULL || c == NULL)
		return;
	pthread_mutex_lock(&ct->mu);
	if (c->deadline_ms == 0 || c->deadline_ms > deadline_ms)
		c->deadline_ms = deadline_ms;
	pthread_mutex_unlock(&ct->mu);
}

size_t
conntrack_reap(struct conntrack *ct, uint64_t now_ms)
{
	struct ct_conn *c;
	size_t n = 0;

	if (ct == NULL)
		return 0;
	pthread_mutex_lock(&ct->mu);
	for (c = ct->head; c != NULL; c = c->next) {
		if (c->deadline_ms == 0 || c->deadline_ms > now_ms)
			continue;
		c->deadline_ms = 0;
		shutdown(c->fd, SHUT_RDWR);
		n++;
	}
	pthread_mutex_unlock(&ct->mu);
	return n;
}

size_t
conntrack_count(struct conntrack *ct)
{
	size_t n;

	if (ct == NULL)
		return 0;
	pthread_mutex_lock(&ct->mu);
	n = ct->n;
	pthread_mutex_unlock(&ct->mu);
	return n;
}
