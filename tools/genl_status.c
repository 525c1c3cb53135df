/*
 * genl_status.c - reads the jfs kernel module's mounts over generic
 * netlink with libnl-genl-3: resolve the family JFS_GENL_NAME, dump
 * JFS_CMD_GET_MOUNTS (one message per mount), and parse each message
 * against the policies below, so a malformed or truncated attribute is
 * an -EPROTO instead of a bad read.  Attributes a newer kernel adds are
 * ignored; opcodes this build cannot name are kept by number.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "genl_status.h"

/* ---- types ---------------------------------------------------------- */

struct dump_ctx {
	struct genl_mounts *ms;
	int err;		/* first failure of the callback */
	char *errbuf;
	size_t errlen;
};

/* ---- static state ------------------------------------------------- */

static struct nla_policy mount_policy[JFS_A_MAX + 1] = {
	[JFS_A_MOUNT_ID]	= { .type = NLA_U64 },
	[JFS_A_VOLUME]		= { .type = NLA_STRING, .maxlen = 256 },
	[JFS_A_UUID]		= { .type = NLA_STRING, .maxlen = 64 },
	[JFS_A_URL]		= { .type = NLA_STRING, .maxlen = JFS_URL_MAX + 1 },
	[JFS_A_SID]		= { .type = NLA_U64 },
	[JFS_A_HELPER]		= { .type = NLA_U8 },
	[JFS_A_RDONLY]		= { .type = NLA_U8 },
	[JFS_A_INFLIGHT]	= { .type = NLA_U64 },
	[JFS_A_BYTES_IN]	= { .type = NLA_U64 },
	[JFS_A_BYTES_OUT]	= { .type = NLA_U64 },
	[JFS_A_OPS]		= { .type = NLA_NESTED },
};

static struct nla_policy op_policy[JFS_OPA_MAX + 1] = {
	[JFS_OPA_CODE]		= { .type = NLA_U32 },
	[JFS_OPA_COUNT]		= { .type = NLA_U64 },
	[JFS_OPA_ERRORS]	= { .type = NLA_U64 },
	[JFS_OPA_LATENCY_NS]	= { .type = NLA_U64 },
	[JFS_OPA_ENGINE_CMDS]	= { .type = NLA_U64 },
	[JFS_OPA_ENGINE_RTTS]	= { .type = NLA_U64 },
};

/* ---- helpers ------------------------------------------------------ */

static int fail(char *errbuf, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *errbuf, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* libnl's NLE_* codes to the errno currency of the rest of jfs */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_PERM:		return -EPERM;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:
	case NLE_INVAL:
	case NLE_RANGE:
	case NLE_PARSE_ERR:	return -EPROTO;
	default:		return -EIO;
	}
}

static uint64_t get_u64(struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static int parse_ops(struct genl_mount *mt, struct nlattr *ops)
{
	struct nlattr *op, *tb[JFS_OPA_MAX + 1];
	struct genl_op_stat *st;
	int rem;

	nla_for_each_nested(op, ops, rem) {
		if (nla_type(op) != JFS_A_OP)
			continue;
		if (nla_parse_nested(tb, JFS_OPA_MAX, op, op_policy) ||
		    !tb[JFS_OPA_CODE] || !tb[JFS_OPA_COUNT])
			return -EPROTO;
		if (mt->nops == GENL_OPS_MAX)
			continue;
		st = &mt->ops[mt->nops++];
		st->code = nla_get_u32(tb[JFS_OPA_CODE]);
		st->count = nla_get_u64(tb[JFS_OPA_COUNT]);
		st->errors = get_u64(tb[JFS_OPA_ERRORS]);
		st->latency_ns = get_u64(tb[JFS_OPA_LATENCY_NS]);
		st->engine_cmds = get_u64(tb[JFS_OPA_ENGINE_CMDS]);
		st->engine_rtts = get_u64(tb[JFS_OPA_ENGINE_RTTS]);
	}
	return 0;
}

static int parse_mount(struct nl_msg *msg, struct genl_mount *mt)
{
	struct nlattr *tb[JFS_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, JFS_A_MAX, mount_policy) ||
	    !tb[JFS_A_MOUNT_ID] || !tb[JFS_A_VOLUME] || !tb[JFS_A_UUID] ||
	    !tb[JFS_A_URL])
		return -EPROTO;
	mt->mount_id = nla_get_u64(tb[JFS_A_MOUNT_ID]);
	mt->volume = strdup(nla_get_string(tb[JFS_A_VOLUME]));
	mt->uuid = strdup(nla_get_string(tb[JFS_A_UUID]));
	mt->url = strdup(nla_get_string(tb[JFS_A_URL]));
	if (!mt->volume || !mt->uuid || !mt->url)
		return -ENOMEM;
	mt->sid = get_u64(tb[JFS_A_SID]);
	mt->helper = tb[JFS_A_HELPER] && nla_get_u8(tb[JFS_A_HELPER]);
	mt->rdonly = tb[JFS_A_RDONLY] && nla_get_u8(tb[JFS_A_RDONLY]);
	mt->inflight = get_u64(tb[JFS_A_INFLIGHT]);
	mt->bytes_in = get_u64(tb[JFS_A_BYTES_IN]);
	mt->bytes_out = get_u64(tb[JFS_A_BYTES_OUT]);
	return tb[JFS_A_OPS] ? parse_ops(mt, tb[JFS_A_OPS]) : 0;
}

static void mount_release(struct genl_mount *mt)
{
	free(mt->volume);
	free(mt->uuid);
	free(mt->url);
}

/* NL_CB_VALID: one dumped mount */
static int on_mount(struct nl_msg *msg, void *arg)
{
	struct dump_ctx *c = arg;
	struct genl_mounts *ms = c->ms;
	struct genl_mount *v, *mt;
	int ret;

	if (c->err)
		return NL_SKIP;		/* drain the rest of the dump */
	v = realloc(ms->v, (ms->n + 1) * sizeof(*v));
	if (!v) {
		c->err = fail(c->errbuf, c->errlen, -ENOMEM, "out of memory");
		return NL_SKIP;
	}
	ms->v = v;
	mt = memset(&v[ms->n], 0, sizeof(*mt));
	ret = parse_mount(msg, mt);
	if (ret) {
		mount_release(mt);
		c->err = fail(c->errbuf, c->errlen, ret, ret == -ENOMEM ? "out of memory" :
			      "malformed mount record from the jfs kernel module");
		return NL_SKIP;
	}
	ms->n++;
	return NL_OK;
}

/* ---- public functions --------------------------------------------- */

int genl_status_get_mounts(struct genl_mounts *ms, char *err, size_t errlen)
{
	struct dump_ctx c = { .ms = ms, .errbuf = err, .errlen = errlen };
	struct nl_sock *sk;
	struct nl_msg *msg = NULL;
	int family, ret;

	ms->v = NULL;
	ms->n = 0;
	sk = nl_socket_alloc();
	if (!sk)
		return fail(err, errlen, -ENOMEM, "out of memory");
	ret = genl_connect(sk);
	if (ret < 0) {
		ret = fail(err, errlen, nlerr_to_errno(ret),
			   "cannot open a generic netlink socket: %s", nl_geterror(ret));
		goto out;
	}
	family = genl_ctrl_resolve(sk, JFS_GENL_NAME);
	if (family < 0) {
		ret = nlerr_to_errno(family);
		ret = fail(err, errlen, ret, ret == -ENOENT ? "jfs kernel module not loaded" :
			   "cannot resolve the generic netlink family '%s': %s",
			   JFS_GENL_NAME, nl_geterror(family));
		goto out;
	}
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP,
				 JFS_CMD_GET_MOUNTS, JFS_GENL_VERSION)) {
		ret = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_mount, &c);
	ret = nl_send_auto(sk, msg);
	if (ret >= 0)
		ret = nl_recvmsgs_default(sk);
	if (ret < 0) {
		ret = fail(err, errlen, nlerr_to_errno(ret),
			   "cannot list the mounts of the jfs kernel module: %s",
			   nl_geterror(ret));
		goto out;
	}
	ret = c.err;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	if (ret)
		genl_mounts_release(ms);
	return ret;
}

void genl_mounts_release(struct genl_mounts *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		mount_release(&ms->v[i]);
	free(ms->v);
	ms->v = NULL;
	ms->n = 0;
}
