// SPDX-License-Identifier: GPL-2.0
/*
 * Superblock, mount options and module init.
 *
 * The mount source is the volume's META-URL.  Mounting asks jfsd to open
 * the volume (JFS_OP_MOUNT); jfsd answers with the root attributes and
 * the session id.  Every mount gets its own superblock and session, as
 * two `juicefs mount`s of one volume would.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/seq_file.h>
#include <linux/statfs.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/backing-dev.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include "internal.h"

static char *fstype = "jfs";
module_param(fstype, charp, 0444);
MODULE_PARM_DESC(fstype, "file system type name to register (default \"jfs\")");

/* jfsk_mounts lists every mounted superblock, for netlink status */
DEFINE_MUTEX(jfsk_mounts_lock);
LIST_HEAD(jfsk_mounts);
static atomic64_t jfsk_next_mount_id = ATOMIC64_INIT(0);

struct jfsk_fs_context {
	unsigned int attr_timeout_ms;
	unsigned int entry_timeout_ms;
	char *helper_opts;	/* "key=value,...": jfsd's options, sent in MOUNT */
};

enum {
	JFS_OPT_ATTR_TIMEOUT, JFS_OPT_ENTRY_TIMEOUT,
	JFS_OPT_HELPER, JFS_OPT_HELPER_FLAG, JFS_OPT_SHOWN,
};

static const struct fs_parameter_spec jfsk_fs_parameters[] = {
	fsparam_u32("attr_timeout", JFS_OPT_ATTR_TIMEOUT),
	fsparam_u32("entry_timeout", JFS_OPT_ENTRY_TIMEOUT),
	fsparam_u32("attr_timeout_ms", JFS_OPT_ATTR_TIMEOUT),
	fsparam_u32("entry_timeout_ms", JFS_OPT_ENTRY_TIMEOUT),
	fsparam_string("backup-meta", JFS_OPT_HELPER),
	/* jfsd forwards the engine's change reports: notify.c */
	fsparam_flag("active-invalidation", JFS_OPT_HELPER_FLAG),
	fsparam_string("upload-delay", JFS_OPT_HELPER),
	fsparam_flag_no("writeback", JFS_OPT_HELPER_FLAG),
	/* what show_options adds: mount(8) hands it back on remount */
	fsparam_string("volume", JFS_OPT_SHOWN),
	{}
};

/*
 * An option jfsd acts on (the metadata backup interval, writeback and its
 * upload delay, active-invalidation) is only checked for its characters
 * here and passed on in MOUNT; jfsd parses it and explains a bad value in
 * the MOUNT reply.  A flag goes as its name ("writeback", "nowriteback").
 */
static int jfsk_parse_helper_opt(struct fs_context *fc, struct fs_parameter *param,
				 bool flag)
{
	struct jfsk_fs_context *ctx = fc->fs_private;
	const char *p, *sep = ctx->helper_opts ? "," : "";
	char *opts;

	if (!flag) {
		if (!*param->string || strlen(param->string) > 32)
			return invalfc(fc, "bad %s value", param->key);
		for (p = param->string; *p; p++)
			if (!isalnum(*p) && *p != '.')
				return invalfc(fc, "bad %s value", param->key);
	}
	opts = kasprintf(GFP_KERNEL, "%s%s%s%s%s", ctx->helper_opts ?: "", sep,
			 param->key, flag ? "" : "=", flag ? "" : param->string);
	if (!opts)
		return -ENOMEM;
	if (strlen(opts) > JFS_OPTS_MAX) {
		kfree(opts);
		return invalfc(fc, "too many options");
	}
	kfree(ctx->helper_opts);
	ctx->helper_opts = opts;
	return 0;
}

static int jfsk_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct jfsk_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	unsigned int scale;
	int opt;

	opt = fs_parse(fc, jfsk_fs_parameters, param, &result);
	if (opt < 0)
		return opt;
	if (opt == JFS_OPT_HELPER || opt == JFS_OPT_HELPER_FLAG)
		return jfsk_parse_helper_opt(fc, param, opt == JFS_OPT_HELPER_FLAG);
	if (opt == JFS_OPT_SHOWN)
		return 0;
	/* "x_timeout" is in seconds as in JuiceFS; "x_timeout_ms" in ms */
	scale = strstr(param->key, "_ms") ? 1 : MSEC_PER_SEC;
	if (result.uint_32 > 3600U * MSEC_PER_SEC / scale)
		return invalfc(fc, "%s too large", param->key);
	switch (opt) {
	case JFS_OPT_ATTR_TIMEOUT:
		ctx->attr_timeout_ms = result.uint_32 * scale;
		break;
	case JFS_OPT_ENTRY_TIMEOUT:
		ctx->entry_timeout_ms = result.uint_32 * scale;
		break;
	}
	return 0;
}

/* "redis://user:secret@host/1" -> "redis://user:****@host/1" */
static char *jfsk_redact_url(const char *url)
{
	const char *scheme, *auth, *at = NULL, *colon, *p;
	size_t len;

	scheme = strstr(url, "://");
	if (!scheme)
		return kstrdup(url, GFP_KERNEL);
	auth = scheme + 3;
	len = strcspn(auth, "/?#");
	for (p = auth; p < auth + len; p++)	/* a password may hold '@' */
		if (*p == '@')
			at = p;
	if (!at)
		return kstrdup(url, GFP_KERNEL);
	colon = strnchr(auth, at - auth, ':');
	if (!colon)
		return kstrdup(url, GFP_KERNEL);
	return kasprintf(GFP_KERNEL, "%.*s****%s", (int)(colon + 1 - url), url,
			 at);
}

static int jfsk_show_devname(struct seq_file *m, struct dentry *root)
{
	seq_escape(m, JFS_SB(root->d_sb)->display, " \t\n\\");
	return 0;
}

static int jfsk_show_options(struct seq_file *m, struct dentry *root)
{
	struct jfsk_sb_info *sbi = JFS_SB(root->d_sb);

	seq_printf(m, ",attr_timeout_ms=%u,entry_timeout_ms=%u",
		   sbi->attr_timeout_ms, sbi->entry_timeout_ms);
	if (sbi->helper_opts) {
		seq_putc(m, ',');
		seq_escape(m, sbi->helper_opts, " \t\n\\");
	}
	seq_puts(m, ",volume=");
	seq_escape(m, sbi->name, ", \t\n\\");
	return 0;
}

static int jfsk_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct jfsk_sb_info *sbi = JFS_SB(dentry->d_sb);
	struct jfs_statfs_out out;
	int ret;

	ret = jfsk_simple_req(sbi, JFS_OP_STATFS, 0, NULL, 0, &out, sizeof(out));
	if (ret)
		return ret;
	if (!out.bsize || out.bfree > out.blocks || out.bavail > out.blocks ||
	    out.ffree > out.files)
		return -EIO;
	buf->f_type = JFSK_SUPER_MAGIC;
	buf->f_bsize = out.bsize;
	buf->f_frsize = out.bsize;
	buf->f_blocks = out.blocks;
	buf->f_bfree = out.bfree;
	buf->f_bavail = out.bavail;
	buf->f_files = out.files;
	buf->f_ffree = out.ffree;
	buf->f_namelen = JFS_NAME_MAX;
	return 0;
}

static const struct super_operations jfsk_super_ops = {
	.alloc_inode	= jfsk_alloc_inode,
	.free_inode	= jfsk_free_inode,
	.statfs		= jfsk_statfs,
	.show_devname	= jfsk_show_devname,
	.show_options	= jfsk_show_options,
};

#define JFS_MOUNT_MSG_MAX	256

/* Logs jfsd's reason for a failed mount, with unprintable bytes dropped. */
static void jfsk_mount_explain(struct fs_context *fc, const char *msg,
			       size_t len)
{
	char buf[JFS_MOUNT_MSG_MAX + 1];
	size_t i, n = 0;

	for (i = 0; i < len && i < JFS_MOUNT_MSG_MAX; i++)
		if (msg[i] >= 0x20 && msg[i] < 0x7f)
			buf[n++] = msg[i];
	buf[n] = '\0';
	errorfc(fc, "%s", buf);
}

/* Asks jfsd to open the volume; fills in what it tells about it. */
static int jfsk_mount_volume(struct fs_context *fc, struct jfsk_sb_info *sbi,
			     struct jfs_mount_out *mo)
{
	size_t url_len = strlen(sbi->url);
	size_t opts_len = sbi->helper_opts ? strlen(sbi->helper_opts) : 0;
	struct jfs_mount_in *mi;
	struct jfsk_req *req;
	int ret;

	if (!jfsk_dev_attached()) {
		pr_err("no jfsd attached to /dev/%s: start jfsd before mounting\n",
		       JFS_DEV_NAME);
		return -ENOTCONN;
	}
	req = jfsk_req_new(sbi, JFS_OP_MOUNT, 0, sizeof(*mi) + url_len + opts_len,
			   max_t(size_t, sizeof(*mo), JFS_MOUNT_MSG_MAX));
	if (IS_ERR(req))
		return PTR_ERR(req);
	mi = jfsk_req_args(req);
	mi->flags = sbi->rdonly ? JFS_MOUNT_RDONLY : 0;
	mi->url_len = url_len;
	mi->opts_len = opts_len;
	memcpy(mi + 1, sbi->url, url_len);
	memcpy((char *)(mi + 1) + url_len, sbi->helper_opts, opts_len);
	ret = jfsk_req_send(req);
	if (ret && req->out_len)
		jfsk_mount_explain(fc, req->out, req->out_len);
	if (!ret && req->out_len != sizeof(*mo))
		ret = -EIO;
	if (!ret)
		memcpy(mo, req->out, sizeof(*mo));
	jfsk_req_put(req);
	if (ret)
		return ret;
	if (mo->root.ino != 1 || !S_ISDIR(mo->root.mode) ||
	    jfsk_check_attr(&mo->root) || !mo->block_size ||
	    !is_power_of_2(mo->block_size))
		return -EIO;
	mo->name[sizeof(mo->name) - 1] = '\0';
	mo->uuid[sizeof(mo->uuid) - 1] = '\0';
	return 0;
}

static void jfsk_free_sbi(struct jfsk_sb_info *sbi)
{
	kfree(sbi->url);
	kfree(sbi->display);
	kfree(sbi->helper_opts);
	kfree(sbi);
}

static int jfsk_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct jfsk_fs_context *ctx = fc->fs_private;
	struct jfsk_sb_info *sbi = sb->s_fs_info;
	struct jfs_mount_out mo;
	struct inode *root;
	int ret;

	sbi->sb = sb;
	sbi->rdonly = sb_rdonly(sb);
	sbi->attr_timeout_ms = ctx->attr_timeout_ms;
	sbi->entry_timeout_ms = ctx->entry_timeout_ms;
	sbi->attr_timeout = msecs_to_jiffies(ctx->attr_timeout_ms);
	sbi->entry_timeout = msecs_to_jiffies(ctx->entry_timeout_ms);

	ret = jfsk_mount_volume(fc, sbi, &mo);
	if (ret)
		return ret;
	sbi->mounted = true;
	sbi->sid = mo.sid;
	sbi->block_size = mo.block_size;
	strscpy(sbi->name, mo.name, sizeof(sbi->name));
	strscpy(sbi->uuid, mo.uuid, sizeof(sbi->uuid));

	sb->s_magic = JFSK_SUPER_MAGIC;
	sb->s_op = &jfsk_super_ops;
	sb->s_d_op = &jfsk_dentry_operations;
	sb->s_xattr = JFS_XATTR_HANDLERS(jfsk_xattr_handlers);
	/* the VFS may cache "no security xattrs" per inode: see xattr.c */
	sb->s_flags |= SB_NOSEC;
	if (mo.flags & JFS_MOUNT_ACL)
		sb->s_flags |= SB_POSIXACL;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_time_gran = 1;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	ret = super_setup_bdi(sb);
	if (ret)
		return ret;
	/*
	 * Read ahead two whole JuiceFS blocks: one object GET per block, and
	 * the next block's READ in flight while the reader consumes this one.
	 */
	sb->s_bdi->ra_pages = max_t(unsigned long, 2 * (sbi->block_size >> PAGE_SHIFT),
				    (unsigned long)(SZ_128K >> PAGE_SHIFT));
	sb->s_bdi->io_pages = sb->s_bdi->ra_pages;

	root = jfsk_iget(sb, &mo.root, 0);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;

	mutex_lock(&jfsk_mounts_lock);
	list_add_tail(&sbi->node, &jfsk_mounts);
	mutex_unlock(&jfsk_mounts_lock);
	return 0;
}

static int jfsk_get_tree(struct fs_context *fc)
{
	struct jfsk_sb_info *sbi;
	int ret;

	if (!fc->source || !*fc->source)
		return invalfc(fc, "no META-URL given");
	if (strlen(fc->source) > JFS_URL_MAX)
		return invalfc(fc, "META-URL too long");
	if (!strstr(fc->source, "://"))
		return invalfc(fc, "invalid META-URL (expected scheme://...)");

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	INIT_LIST_HEAD(&sbi->node);
	init_waitqueue_head(&sbi->wb_wait);
	sbi->mount_id = atomic64_inc_return(&jfsk_next_mount_id);
	sbi->url = kstrdup(fc->source, GFP_KERNEL);
	sbi->display = sbi->url ? jfsk_redact_url(sbi->url) : NULL;
	if (!sbi->url || !sbi->display) {
		jfsk_free_sbi(sbi);
		return -ENOMEM;
	}
	sbi->helper_opts = ((struct jfsk_fs_context *)fc->fs_private)->helper_opts;
	((struct jfsk_fs_context *)fc->fs_private)->helper_opts = NULL;
	fc->s_fs_info = sbi;
	ret = get_tree_nodev(fc, jfsk_fill_super);
	/* On failure sget/kill_sb already freed it, or fc_free will. */
	return ret;
}

static void jfsk_free_fc(struct fs_context *fc)
{
	struct jfsk_sb_info *sbi = fc->s_fs_info;

	if (sbi)
		jfsk_free_sbi(sbi);
	if (fc->fs_private)
		kfree(((struct jfsk_fs_context *)fc->fs_private)->helper_opts);
	kfree(fc->fs_private);
}

/*
 * remount: the cache timeouts may change; ro<->rw may not yet, since jfsd
 * opened the volume (and its session) for one mode.
 */
static int jfsk_reconfigure(struct fs_context *fc)
{
	struct jfsk_fs_context *ctx = fc->fs_private;
	struct super_block *sb = fc->root->d_sb;
	struct jfsk_sb_info *sbi = JFS_SB(sb);

	if ((fc->sb_flags ^ sb->s_flags) & SB_RDONLY)
		return invalfc(fc, "cannot switch between ro and rw: umount and mount again");
	if (ctx->helper_opts && (!sbi->helper_opts ||
				 strcmp(ctx->helper_opts, sbi->helper_opts)))
		return invalfc(fc, "jfsd's options (backup-meta, writeback...) stay until umount");
	sbi->attr_timeout_ms = ctx->attr_timeout_ms;
	sbi->entry_timeout_ms = ctx->entry_timeout_ms;
	sbi->attr_timeout = msecs_to_jiffies(ctx->attr_timeout_ms);
	sbi->entry_timeout = msecs_to_jiffies(ctx->entry_timeout_ms);
	return 0;
}

static const struct fs_context_operations jfsk_context_ops = {
	.free		= jfsk_free_fc,
	.parse_param	= jfsk_parse_param,
	.get_tree	= jfsk_get_tree,
	.reconfigure	= jfsk_reconfigure,
};

static int jfsk_init_fs_context(struct fs_context *fc)
{
	struct jfsk_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->attr_timeout_ms = MSEC_PER_SEC;	/* JuiceFS default: 1 s */
	ctx->entry_timeout_ms = MSEC_PER_SEC;
	if (fc->purpose == FS_CONTEXT_FOR_RECONFIGURE) {
		/* remount keeps what it does not change */
		struct jfsk_sb_info *sbi = JFS_SB(fc->root->d_sb);

		ctx->attr_timeout_ms = sbi->attr_timeout_ms;
		ctx->entry_timeout_ms = sbi->entry_timeout_ms;
	}
	fc->fs_private = ctx;
	fc->ops = &jfsk_context_ops;
	return 0;
}

static void jfsk_kill_sb(struct super_block *sb)
{
	struct jfsk_sb_info *sbi = JFS_SB(sb);

	if (sbi) {
		mutex_lock(&jfsk_mounts_lock);
		list_del_init(&sbi->node);
		mutex_unlock(&jfsk_mounts_lock);
	}
	/* Writes back dirty data first: that still needs jfsd. */
	kill_anon_super(sb);
	if (!sbi)
		return;
	if (sbi->mounted)
		jfsk_simple_req(sbi, JFS_OP_UMOUNT, 0, NULL, 0, NULL, 0);
	jfsk_free_sbi(sbi);
}

static struct file_system_type jfsk_fs_type = {
	.owner			= THIS_MODULE,
	.init_fs_context	= jfsk_init_fs_context,
	.parameters		= jfsk_fs_parameters,
	.kill_sb		= jfsk_kill_sb,
};

static int __init jfsk_init(void)
{
	int ret;

	jfsk_fs_type.name = fstype;
	ret = jfsk_inode_cache_init();
	if (ret)
		return ret;
	ret = jfsk_dev_init();
	if (ret)
		goto out_cache;
	ret = jfsk_netlink_init();
	if (ret)
		goto out_dev;
	ret = register_filesystem(&jfsk_fs_type);
	if (ret == -EBUSY) {
		pr_err("file system type \"%s\" is already registered (IBM JFS loaded?): unload it or load this module with fstype=juicefs\n",
		       fstype);
		goto out_nl;
	}
	if (ret)
		goto out_nl;
	return 0;

out_nl:
	jfsk_netlink_exit();
out_dev:
	jfsk_dev_exit();
out_cache:
	jfsk_inode_cache_exit();
	return ret;
}

static void __exit jfsk_exit(void)
{
	unregister_filesystem(&jfsk_fs_type);
	jfsk_netlink_exit();
	jfsk_dev_exit();
	jfsk_inode_cache_exit();
}

module_init(jfsk_init);
module_exit(jfsk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Native kernel client for JuiceFS-format volumes");
MODULE_ALIAS_FS("jfs");
/* for hosts that keep IBM JFS and set "options jfsk fstype=juicefs" */
MODULE_ALIAS_FS("juicefs");
