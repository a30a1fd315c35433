/*
 * sms-parse: one inbound SMS provider webhook in, one reply or receipt
 * line out.  Each provider's inbound half (twilio.c: form posts verified
 * with X-Twilio-Signature; sns.c: SNS notifications verified by their RSA
 * signature) is behind provider.h; this file reads the options and the
 * CGI variables and hands the webhook to the provider named by -p.
 *
 * Run as an http-hook handler, it reads the body on stdin and the request
 * from the CGI variables (CONTENT_TYPE, QUERY_STRING,
 * HTTP_X_TWILIO_SIGNATURE); the public URL Twilio called cannot be known
 * behind a TLS proxy, so it is given with -u or SMS_PARSE_URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provider.h"
#include "sns-verify.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s -p twilio [-H] [-u url] [-s signature] [-C file] [file]\n"
	    "       %s -p twilio [-H] -n [file]\n"
	    "       %s -p sns [-H] -a topic-arn ... [-c cache-dir] [file]\n",
	    progname, progname, progname);
	exit(status);
}

int
main(int argc, char *argv[])
{
	struct inbound in = { .params = jv_invalid() };
	const struct provider *p;
	const char *name = NULL;
	int c, status;

	log_init(argv[0]);
	in.url = getenv("SMS_PARSE_URL");
	in.signature = getenv("HTTP_X_TWILIO_SIGNATURE");
	in.content_type = getenv("CONTENT_TYPE");
	while ((c = getopt(argc, argv, "a:c:C:hHnp:s:u:")) != -1) {
		switch (c) {
		case 'a':
			if (in.ntopics == MAX_TOPICS)
				die(EXIT_USAGE, "-a: at most %d topics", MAX_TOPICS);
			in.topics[in.ntopics++] = optarg;
			break;
		case 'c': in.cache = optarg; break;
		case 'C':
			if ((status = conf_load(optarg)) != 0)
				return status;
			break;
		case 'h': usage(0); break;
		case 'H': in.help_ours = 1; break;
		case 'n': in.noverify = 1; break;
		case 'p': name = optarg; break;
		case 's': in.signature = optarg; break;
		case 'u': in.url = optarg; break;
		default: usage(EXIT_USAGE);
		}
	}
	if (conf_get("SMS_PARSE_ANSWER_HELP") && strcmp(conf_get("SMS_PARSE_ANSWER_HELP"), "yes") == 0)
		in.help_ours = 1;
	if (argc - optind > 1 || name == NULL)
		usage(EXIT_USAGE);
	in.path = optind < argc ? argv[optind] : NULL;
	sns_verifier = sns_verify;
	if ((p = provider_named(name)) == NULL || p->inbound == NULL) {
		note("unknown provider %s: twilio or sns", name);
		usage(EXIT_USAGE);
	}
	if ((status = p->inbound(&in)) == INBOUND_USAGE)
		usage(EXIT_USAGE);
	jv_free(in.params);
	free(in.body);
	return finish_stdout(status);
}
