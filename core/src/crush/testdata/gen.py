# Regenerates mappings.txt: crushtool -c algs.txt -o algs.crush; crushtool -i algs.crush
# --set-choose-local-tries 2 --set-choose-local-fallback-tries 5 --set-choose-total-tries 19
# --set-chooseleaf-descend-once 0 --set-chooseleaf-vary-r 0 --set-chooseleaf-stable 0 -o legacy.crush;
# then python3 gen.py. Each line: map rule numrep weights fnv1a64(crushtool output for x 0..4095) first-line.
import subprocess
def fnv(data):
    h=0xcbf29ce484222325
    for b in data:
        h^=b; h=(h*0x100000001b3)&0xffffffffffffffff
    return h
out=[]
for m in ['algs','legacy']:
    for rule in range(5):
        for numrep in [1,3,4]:
            for wname,wargs in [('w0',[]),('w1',['--weight','7','0.5','--weight','13','0','--weight','2','0.8'])]:
                r=subprocess.run(['crushtool','-i',m+'.crush','--test','--show-mappings','--rule',str(rule),'--num-rep',str(numrep),'--min-x','0','--max-x','4095']+wargs,capture_output=True,check=True)
                lines=[l for l in r.stdout.decode().splitlines() if l.startswith('CRUSH rule')]
                assert len(lines)==4096,(m,rule,numrep,len(lines),r.stderr)
                data=''.join(l+'\n' for l in lines).encode()
                out.append(f"{m} {rule} {numrep} {wname} {fnv(data):016x} {lines[0]}")
open('mappings.txt','w').write('\n'.join(out)+'\n')
