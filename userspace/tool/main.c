// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec: configure and inspect the grpsec gateway module over generic
 * netlink, in the manner of wg(8) and ip(8).
 */
#include <stdio.h>
#include <string.h>

#include "tool.h"

struct options opt;

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "show", cmd_show, "Show the whole configuration and state (the default)" },
	{ "group", cmd_group, "Add, change, delete or show groups" },
	{ "member", cmd_member, "Add, change, delete, show or import members" },
	{ "upstream", cmd_upstream, "Set, delete or show the gateway-to-backend association" },
	{ "listen", cmd_listen, "Open the device-facing UDP port (0 closes it)" },
	{ "stats", cmd_stats, "Show counters, every drop reason by name" },
	{ "monitor", cmd_monitor, "Print the kernel's events as they arrive" },
	{ "send", cmd_send, "Send a command from the gateway to a terminate mode group" },
	{ "showconf", cmd_showconf, "Print the configuration as a configuration file" },
	{ "setconf", cmd_setconf, "Replace the configuration with a file's" },
	{ "syncconf", cmd_syncconf, "Apply only what differs from a file, keeping live state" },
	{ "version", cmd_version, "Print the tool's and the module's versions" },
	{ "help", cmd_help, "Show this help" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void show_usage(FILE *f)
{
	fprintf(f,
		"Usage: grpsec [-j [-p]] [-s] [COMMAND [ARGUMENTS]]\n"
		"\n"
		"Options:\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   indented JSON\n"
		"  -s, --stats    with stats: per member counters too\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"\n"
		"Without a command, grpsec runs \"show\".  \"grpsec COMMAND help\" shows\n"
		"a command's arguments; grpsec(8) has the details.\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	show_usage(stdout);
	return EXIT_OK;
}

static int version_cb(struct nl_msg *msg, void *arg)
{
	parse_info(msg, arg);
	return NL_OK;
}

/* The tool's version always; the module's if it can be reached. */
static int cmd_version(int argc, char **argv)
{
	struct info_rec info;
	struct nl_msg *msg;

	(void)argv;
	if (argc > 1)
		return usage_fail("version", "version takes no arguments");
	printf("grpsec tools %s, netlink version %u\n", GRPSEC_TOOL_VERSION,
	       GRPSEC_GENL_VERSION);
	switch (grpsec_nl_open(&nl)) {
	case 0:
		break;
	case GRPSEC_NL_E_VERSION:
		printf("kernel module: netlink version %u (does not match)\n",
		       nl.version);
		return EXIT_OK;
	default:
		printf("kernel module: not loaded\n");
		return EXIT_OK;
	}
	msg = kernel_msg(GRPSEC_CMD_GET_INFO, 0);
	if (msg && !grpsec_nl_talk(&nl, msg, version_cb, &info) &&
	    HAVE(&info, GRPSEC_A_VERSION))
		printf("kernel module: netlink version %u\n", info.version);
	else
		printf("kernel module: netlink version %u\n", nl.version);
	grpsec_nl_msg_free(msg);
	grpsec_nl_close(&nl);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
			opt.json = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			opt.pretty = true;
		} else if (!strcmp(a, "-s") || !strcmp(a, "--stats")) {
			opt.stats = true;
		} else if (!strcmp(a, "-js") || !strcmp(a, "-sj")) {
			opt.json = opt.stats = true;
		} else if (!strcmp(a, "-jp") || !strcmp(a, "-pj")) {
			opt.json = opt.pretty = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			show_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			return cmd_version(1, argv + i);
		} else {
			fprintf(stderr, "grpsec: unknown option \"%s\"\n", a);
			show_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (opt.pretty && !opt.json)
		opt.json = true;

	if (i == argc) {
		static char *show[] = { "show", NULL };

		return cmd_show(1, show);
	}
	for (size_t c = 0; c < NCOMMANDS; c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].fn(argc - i, argv + i);

	fprintf(stderr, "grpsec: invalid command \"%s\"\n", argv[i]);
	show_usage(stderr);
	return EXIT_USAGE;
}
