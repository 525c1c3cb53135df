// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "jfs": control and status, not the hot path.
 * JFS_CMD_GET_MOUNTS dumps every mount with its volume, session, helper
 * state and per-op counters; `jfsadm status` shows them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <net/genetlink.h>
#include "internal.h"

static struct genl_family jfsk_genl_family;

static int jfsk_nl_put_ops(struct sk_buff *skb, struct jfsk_sb_info *sbi)
{
	struct nlattr *ops, *op;
	u32 code;

	ops = nla_nest_start(skb, JFS_A_OPS);
	if (!ops)
		return -EMSGSIZE;
	for (code = 1; code < JFS_OP_MAX; code++) {
		struct jfsk_op_stats *st = &sbi->ops[code];
		u64 count = atomic64_read(&st->count);

		if (!count)
			continue;
		op = nla_nest_start(skb, JFS_A_OP);
		if (!op ||
		    nla_put_u32(skb, JFS_OPA_CODE, code) ||
		    nla_put_u64_64bit(skb, JFS_OPA_COUNT, count, JFS_OPA_PAD) ||
		    nla_put_u64_64bit(skb, JFS_OPA_ERRORS,
				      atomic64_read(&st->errors), JFS_OPA_PAD) ||
		    nla_put_u64_64bit(skb, JFS_OPA_LATENCY_NS,
				      atomic64_read(&st->latency_ns),
				      JFS_OPA_PAD) ||
		    nla_put_u64_64bit(skb, JFS_OPA_ENGINE_CMDS,
				      atomic64_read(&st->engine_cmds),
				      JFS_OPA_PAD) ||
		    nla_put_u64_64bit(skb, JFS_OPA_ENGINE_RTTS,
				      atomic64_read(&st->engine_rtts),
				      JFS_OPA_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, op);
	}
	nla_nest_end(skb, ops);
	return 0;
}

static int jfsk_nl_put_mount(struct sk_buff *skb, struct netlink_callback *cb,
			     struct jfsk_sb_info *sbi)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			  cb->nlh->nlmsg_seq, &jfsk_genl_family, NLM_F_MULTI,
			  JFS_CMD_GET_MOUNTS);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, JFS_A_MOUNT_ID, sbi->mount_id, JFS_A_PAD) ||
	    nla_put_string(skb, JFS_A_VOLUME, sbi->name) ||
	    nla_put_string(skb, JFS_A_UUID, sbi->uuid) ||
	    nla_put_string(skb, JFS_A_URL, sbi->display) ||
	    nla_put_u64_64bit(skb, JFS_A_SID, sbi->sid, JFS_A_PAD) ||
	    nla_put_u8(skb, JFS_A_HELPER, jfsk_dev_attached()) ||
	    nla_put_u8(skb, JFS_A_RDONLY, sbi->rdonly) ||
	    nla_put_u64_64bit(skb, JFS_A_INFLIGHT,
			      atomic64_read(&sbi->inflight), JFS_A_PAD) ||
	    nla_put_u64_64bit(skb, JFS_A_BYTES_IN,
			      atomic64_read(&sbi->bytes_in), JFS_A_PAD) ||
	    nla_put_u64_64bit(skb, JFS_A_BYTES_OUT,
			      atomic64_read(&sbi->bytes_out), JFS_A_PAD) ||
	    jfsk_nl_put_ops(skb, sbi)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args[0] counts the mounts already sent in earlier dump rounds. */
static int jfsk_nl_get_mounts(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct jfsk_sb_info *sbi;
	long skip = cb->args[0], idx = 0;

	mutex_lock(&jfsk_mounts_lock);
	list_for_each_entry(sbi, &jfsk_mounts, node) {
		if (idx++ < skip)
			continue;
		if (jfsk_nl_put_mount(skb, cb, sbi)) {
			idx--;
			break;
		}
	}
	mutex_unlock(&jfsk_mounts_lock);
	cb->args[0] = idx;
	return skb->len;
}

static const struct genl_small_ops jfsk_genl_ops[] = {
	{
		.cmd	= JFS_CMD_GET_MOUNTS,
		.dumpit	= jfsk_nl_get_mounts,
	},
};

static struct genl_family jfsk_genl_family __ro_after_init = {
	.name		= JFS_GENL_NAME,
	.version	= JFS_GENL_VERSION,
	.maxattr	= JFS_A_MAX,
	.module		= THIS_MODULE,
	.small_ops	= jfsk_genl_ops,
	.n_small_ops	= ARRAY_SIZE(jfsk_genl_ops),
	.resv_start_op	= JFS_CMD_MAX + 1,
};

int jfsk_netlink_init(void)
{
	return genl_register_family(&jfsk_genl_family);
}

void jfsk_netlink_exit(void)
{
	genl_unregister_family(&jfsk_genl_family);
}
