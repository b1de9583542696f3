/*
 * The XML Route 53 and STS answer with, read with expat into a small tree of
 * elements: names without their namespace, each with the text directly
 * inside it. Untrusted input: a DOCTYPE (the only carrier of entity tricks;
 * AWS never sends one) is refused, as is nesting past 64 levels or a body
 * past 64 MiB. Texts are wiped when the tree is freed: STS answers carry
 * secret keys.
 */
#ifndef R53_XML_H
#define R53_XML_H

#include <stddef.h>
#include <stdio.h>

struct r53_xml {
	char *name;		  /* local name */
	char *text;		  /* the character data directly inside, never NULL */
	size_t text_len;
	struct r53_xml *children; /* the first child element */
	struct r53_xml *next;	  /* the next sibling element */
};

/* The root element (r53_xml_free()), or NULL when xml is not well-formed,
 * is refused, or memory ran out. */
struct r53_xml *r53_xml_parse(const char *xml, size_t len);
void r53_xml_free(struct r53_xml *root);

/* Is n (may be NULL) an element called name? */
int r53_xml_named(const struct r53_xml *n, const char *name);

/* parent's first child element called name, or NULL (parent may be NULL). */
const struct r53_xml *r53_xml_child(const struct r53_xml *parent, const char *name);

/* Write text escaped for character data (&, <, > and CR, as libxml2 and
 * botocore write them). Returns 0, or -1 on a write error. */
int r53_xml_escape(FILE *out, const char *text);

#endif
