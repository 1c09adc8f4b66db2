import json, subprocess, sys, os
flows = {"01":"01.event.json","02":"02.event.variant.json","03":"03.event.json","04":"04.event.variant.json","05":"05.event.variant.json","06":"06.event.json","07-pinned":"07.event.json","08":"08.event.json","09":"09.event.json","10":"10.event.variant.json","11":"11.event.json","12-pinned":"12.event.json"}
out = {}
for f, ev in flows.items():
    rows = []
    for seed in range(6):
        p = subprocess.run([sys.executable,"-m","copilot","run",f"{f}.yaml","--event",ev,"--seed",str(seed),"--format","json","--instant"],capture_output=True,text=True)
        try:
            d = json.loads(p.stdout)
        except Exception:
            rows.append({"seed":seed,"rc":p.returncode,"err":p.stderr[-300:]}); continue
        fired = [s["id"] for s in d["steps"] if s["type"]=="http" and s["status"] not in ("skipped",)]
        rows.append({"seed":seed,"rc":p.returncode,"body":d["response"]["body"],"fired":fired})
    out[f]=rows
json.dump(out, open("seeds.json","w"), indent=1)
for f, rows in out.items():
    print("==", f)
    for r in rows:
        b = r.get("body")
        if isinstance(b, dict):
            b = {k:v for k,v in b.items() if k not in ("reason","reply","answer","id")}
        print(r["seed"], r["rc"], b, r.get("fired"), r.get("err",""))
