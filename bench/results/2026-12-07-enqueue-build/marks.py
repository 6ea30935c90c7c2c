import sys, re, glob, os
d = sys.argv[1]
M = 'globalThis.__m.push(['
def sub(path, old, new, count=1):
    s = open(path).read()
    assert old in s, (path, old)
    s = s.replace(old, new, count)
    open(path, 'w').write(s)
main = f'{d}/main.js'
s = open(main).read()
s = ("globalThis.__m = [[\"main.js top\", performance.now()]]; globalThis.addEventListener('unload', () => { let p = 0; console.error(globalThis.__m.map(([n, t]) => { const s = n + ' ' + t.toFixed(1) + ' (+' + (t - p).toFixed(1) + ')'; p = t; return s; }).join(' ')); });\n" + s)
open(main, 'w').write(s)
sub(main, 'if (import.meta.main) {', M + '"main body", performance.now()]);\nif (import.meta.main) {')
s = open(main).read()
m = re.search(r'const \{ runApp \} = await lazy\([^;]*;', s)
sub(main, m.group(0), M + '"before run.js", performance.now()]); ' + m.group(0) + ' ' + M + '"after run.js", performance.now()]);')
run = f'{d}/src/cli/run.js'
sub(run, 'const { enqueue } = await lazy("src/cli/enqueue.ts");', M + '"before enqueue.js", performance.now()]); const { enqueue } = await lazy("src/cli/enqueue.ts"); ' + M + '"after enqueue.js", performance.now()]);')
sub(run, 'await action(enqueue).call(context, {}, rest[1]);', 'await action(enqueue).call(context, {}, rest[1]); ' + M + '"hint+close", performance.now()]);')
for f in glob.glob(f'{d}/chunk-*.js') + glob.glob(f'{d}/src/cli/enqueue.js'):
    s = open(f).read()
    if 'const session = openSession(this, flags);' in s and 'results = await session.store.enqueue' in s:
        s = s.replace('const session = openSession(this, flags);', M + '"validated", performance.now()]); const session = openSession(this, flags);')
        s = s.replace('results = await session.store.enqueue', M + '"session+config", performance.now()]); results = await session.store.enqueue')
        s = s.replace('if (!flags.json) await printIdleHint', M + '"store.enqueue", performance.now()]); if (!flags.json) await printIdleHint')
        open(f, 'w').write(s)
        print('body in', f)
