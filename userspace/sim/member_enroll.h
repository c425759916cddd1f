/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* grpsec-member's enroll and send subcommands (member_enroll.c). */
#ifndef GRPSEC_SIM_MEMBER_ENROLL_H
#define GRPSEC_SIM_MEMBER_ENROLL_H

/* argv[0] is the subcommand's name; each returns the exit status. */
int member_enroll_main(int argc, char **argv);
int member_send_main(int argc, char **argv);
/* Many PSK devices from one process (member_fleet.c). */
int member_enroll_fleet_main(int argc, char **argv);
int member_send_fleet_main(int argc, char **argv);

/* Shared by both files. */
#include <stdint.h>
#include <sys/socket.h>
struct grpsec_enroll_answer;
#define MEMBER_EXIT_REFUSED	3	/* the manager refused the device */
/* "G[,G...]" into @groups (GRPSEC_ENROLL_MAX_GROUPS); usage error if bad. */
unsigned int member_parse_groups(const char *val, uint32_t *groups);
/* The gateway the manager named in @a, as a socket address. */
socklen_t member_answer_gateway(const struct grpsec_enroll_answer *a,
				struct sockaddr_storage *ss);

#endif
