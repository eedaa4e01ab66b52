/* `kite qmp SOCKET COMMAND [JSON-ARGS]`: one QMP command from a shell (see qmp_client.c). */
#ifndef KITE_CONTROL_QMP_CLIENT_H
#define KITE_CONTROL_QMP_CLIENT_H

/* argv[0] is "qmp". Returns the exit status: 0 done, 1 error reply or no server, 2 usage. */
int qmp_client_main(int argc, char **argv);

#endif
