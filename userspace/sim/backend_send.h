/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* grpsec-backend command|rekey: downlink frames to a gateway. */
#ifndef GRPSEC_SIM_BACKEND_SEND_H
#define GRPSEC_SIM_BACKEND_SEND_H

/* argv[0] is "command" or "rekey"; returns the exit status. */
int backend_send_main(int argc, char **argv);

#endif
