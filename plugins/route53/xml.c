/* A small XML tree built with expat: see xml.h. */
#include "xml.h"

#include <stdlib.h>
#include <string.h>

#include <expat.h>

#define MAX_DEPTH 64
#define MAX_BODY (64u * 1024 * 1024)
/* expat hands names as "URI NAME" when they have a namespace. */
#define NS_SEPARATOR ' '

struct builder {
	XML_Parser parser;
	struct r53_xml *root;
	struct r53_xml *open[MAX_DEPTH]; /* the open elements, innermost last */
	struct r53_xml *last[MAX_DEPTH]; /* each one's last child so far */
	int depth;
	int failed;
};

static void fail(struct builder *b)
{
	b->failed = 1;
	XML_StopParser(b->parser, XML_FALSE);
}

static void on_start(void *ctx, const XML_Char *name, const XML_Char **attrs)
{
	struct builder *b = ctx;
	const char *local = strrchr(name, NS_SEPARATOR);
	struct r53_xml *n;

	(void)attrs;
	if (b->failed)
		return;
	if (b->depth == MAX_DEPTH || (b->depth == 0 && b->root != NULL) ||
	    (n = calloc(1, sizeof(*n))) == NULL) {
		fail(b);
		return;
	}
	n->name = strdup(local ? local + 1 : name);
	n->text = calloc(1, 1);
	if (b->depth == 0)
		b->root = n;
	else if (b->last[b->depth - 1] != NULL)
		b->last[b->depth - 1]->next = n;
	else
		b->open[b->depth - 1]->children = n;
	if (b->depth > 0)
		b->last[b->depth - 1] = n;
	b->open[b->depth] = n;
	b->last[b->depth] = NULL;
	b->depth++;
	if (n->name == NULL || n->text == NULL)
		fail(b);
}

static void on_end(void *ctx, const XML_Char *name)
{
	struct builder *b = ctx;

	(void)name;
	if (!b->failed && b->depth > 0)
		b->depth--;
}

static void on_text(void *ctx, const XML_Char *s, int len)
{
	struct builder *b = ctx;
	struct r53_xml *n;
	char *grown;

	if (b->failed || b->depth == 0 || len <= 0)
		return;
	n = b->open[b->depth - 1];
	grown = malloc(n->text_len + (size_t)len + 1);
	if (grown == NULL) {
		fail(b);
		return;
	}
	/* Not realloc(): the old copy is wiped, it may be a secret key. */
	memcpy(grown, n->text, n->text_len);
	memcpy(grown + n->text_len, s, (size_t)len);
	grown[n->text_len + (size_t)len] = '\0';
	explicit_bzero(n->text, n->text_len);
	free(n->text);
	n->text = grown;
	n->text_len += (size_t)len;
}

static void on_doctype(void *ctx, const XML_Char *name, const XML_Char *sysid,
		       const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fail(ctx);
}

struct r53_xml *r53_xml_parse(const char *xml, size_t len)
{
	struct builder b = {0};
	int ok;

	if (xml == NULL || len == 0 || len > MAX_BODY)
		return NULL;
	b.parser = XML_ParserCreateNS(NULL, NS_SEPARATOR);
	if (b.parser == NULL)
		return NULL;
	XML_SetUserData(b.parser, &b);
	XML_SetElementHandler(b.parser, on_start, on_end);
	XML_SetCharacterDataHandler(b.parser, on_text);
	XML_SetStartDoctypeDeclHandler(b.parser, on_doctype);
	ok = XML_Parse(b.parser, xml, (int)len, XML_TRUE) == XML_STATUS_OK && !b.failed;
	XML_ParserFree(b.parser);
	if (!ok || b.root == NULL) {
		r53_xml_free(b.root);
		return NULL;
	}
	return b.root;
}

void r53_xml_free(struct r53_xml *n)
{
	while (n != NULL) {
		struct r53_xml *next = n->next;

		r53_xml_free(n->children);
		if (n->text != NULL)
			explicit_bzero(n->text, n->text_len);
		free(n->text);
		free(n->name);
		free(n);
		n = next;
	}
}

int r53_xml_named(const struct r53_xml *n, const char *name)
{
	return n != NULL && strcmp(n->name, name) == 0;
}

const struct r53_xml *r53_xml_child(const struct r53_xml *parent, const char *name)
{
	for (const struct r53_xml *n = parent ? parent->children : NULL; n != NULL; n = n->next)
		if (r53_xml_named(n, name))
			return n;
	return NULL;
}

int r53_xml_escape(FILE *out, const char *text)
{
	for (const char *p = text; *p; p++) {
		const char *entity = *p == '&'	  ? "&amp;"
				     : *p == '<'  ? "&lt;"
				     : *p == '>'  ? "&gt;"
				     : *p == '\r' ? "&#13;"
						  : NULL;

		if ((entity ? fputs(entity, out) : fputc(*p, out)) == EOF)
			return -1;
	}
	return 0;
}
