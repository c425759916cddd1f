/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* grpsec-member's enroll and send subcommands (member_enroll.c). */
#ifndef GRPSEC_SIM_MEMBER_ENROLL_H
#define GRPSEC_SIM_MEMBER_ENROLL_H

/* argv[0] is the subcommand's name; each returns the exit status. */
int member_enroll_main(int argc, char **argv);
int member_send_main(int argc, char **argv);

#endif
