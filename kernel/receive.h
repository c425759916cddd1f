/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_RECEIVE_H
#define _GRPSEC_RECEIVE_H

struct sock;
struct sk_buff;
struct work_struct;
struct grpsec_net;

int grpsec_receive(struct sock *sk, struct sk_buff *skb);
int grpsec_receive_upstream(struct sock *sk, struct sk_buff *skb);
void grpsec_receive_work(struct work_struct *work);
void grpsec_receive_purge(struct grpsec_net *gn);
void grpsec_receive_forget_keys(struct grpsec_net *gn);
void grpsec_receive_forget_work(struct work_struct *work);

#endif /* _GRPSEC_RECEIVE_H */
