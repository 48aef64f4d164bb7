"""Network definitions for the two head-CT models (TorchScript-friendly)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
    )


def single(cin, cout):
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm3d(cout),
        nn.ReLU(inplace=True),
    )


class ICHClassifier(nn.Module):
    """Small 3D CNN. A coarse per-voxel 'bleed' logit map is max-pooled into one
    study logit, so the study score is driven by the most bleed-like region.
    forward(x[N,1,D,H,W]) -> [N] probabilities."""

    def __init__(self, c=(8, 16, 32)):
        super().__init__()
        self.b1 = block(1, c[0])
        self.b2 = block(c[0], c[1])
        self.b3 = block(c[1], c[2])
        self.head = nn.Conv3d(c[2], 1, 1)
        self.scale = nn.Parameter(torch.tensor(1.0))
        self.bias = nn.Parameter(torch.tensor(0.0))

    def logit_map(self, x):
        x = self.b1(x)
        x = F.max_pool3d(x, (1, 2, 2))
        x = self.b2(x)
        x = F.max_pool3d(x, 2)
        x = self.b3(x)
        return self.head(x)                      # [N,1,D/2,H/4,W/4]

    def study_logit(self, m):
        return torch.amax(m, dim=(1, 2, 3, 4)) * self.scale + self.bias

    def forward(self, x):
        return torch.sigmoid(self.study_logit(self.logit_map(x)))


class ICHSegmenter(nn.Module):
    """Small 3D U-Net (3 levels; in-plane-only pooling at the first level because
    slices are thick). forward(x[N,1,D,H,W]) -> [N,1,D,H,W] probabilities."""

    def __init__(self, c=(8, 16, 32)):
        super().__init__()
        self.e1 = single(1, c[0])          # full resolution: one conv each way (CPU cost)
        self.e2 = block(c[0], c[1])
        self.e3 = block(c[1], c[2])
        self.u2 = nn.ConvTranspose3d(c[2], c[1], 2, stride=2)
        self.d2 = block(2 * c[1], c[1])
        self.u1 = nn.ConvTranspose3d(c[1], c[0], (1, 2, 2), stride=(1, 2, 2))
        self.d1 = single(2 * c[0], c[0])
        self.out = nn.Conv3d(c[0], 1, 1)

    def logits(self, x):
        s1 = self.e1(x)
        s2 = self.e2(F.max_pool3d(s1, (1, 2, 2)))
        s3 = self.e3(F.max_pool3d(s2, 2))
        y = self.d2(torch.cat([self.u2(s3), s2], dim=1))
        y = self.d1(torch.cat([self.u1(y), s1], dim=1))
        return self.out(y)

    def forward(self, x):
        return torch.sigmoid(self.logits(x))
