"""Build goengine: one Cython extension per .pyx, shipped with its .pxd."""
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

ROOT = Path(__file__).parent


def extensions():
    exts = []
    for pyx in sorted(ROOT.glob("goengine/**/*.pyx")):
        rel = pyx.relative_to(ROOT)
        name = ".".join(rel.with_suffix("").parts)
        exts.append(
            Extension(
                name,
                [str(rel)],
                include_dirs=[np.get_include()],
                extra_compile_args=["-O3"],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            )
        )
    return cythonize(
        exts,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )


setup(
    name="goengine",
    version="0.1.0",
    description="AlphaGo Lee and AlphaGo Zero Go engine in Python and Cython",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["goengine*", "gtp*", "selfplay*", "training*"]),
    package_data={"goengine": ["*.pxd", "**/*.pxd", "weights/*"]},
    ext_modules=extensions(),
    # torch: a range that the pinned CPU build (2.13.0) satisfies; install that one first
    install_requires=["numpy>=1.24", "sgfmill>=1.1", "tqdm>=4.60", "torch>=2.0,<2.14"],
    extras_require={
        "rl": ["gymnasium>=1.0", "matplotlib>=3.5"],
        # the ladder report's and zero_elo's PNG plots
        "report": ["matplotlib>=3.5"],
        "test": ["pytest>=7", "gymnasium>=1.0", "matplotlib>=3.5", "ray>=2.40",
                 "onnx>=1.15", "onnxruntime>=1.17,<2", "onnxscript>=0.1"],
        # fast CPU inference (goengine.models.backends): ONNX export, ONNX Runtime, int8
        "fast": ["onnx>=1.15", "onnxruntime>=1.17,<2", "onnxscript>=0.1"],
        # beyond one machine: Ray actors for self-play and gating (torchrun/DDP come with torch)
        "distributed": ["ray[default]>=2.40"],
        "bench": ["open-spiel>=1.5"],
    },
    entry_points={
        "console_scripts": [
            "goengine-train=training.__main__:main",
            "goengine-gtp=gtp.__main__:main",
            "goengine-analysis=gtp.analysis_engine:main",
            "goengine-arena=selfplay.cli:main",
            "goengine-rl=training.rl.cli:main",
            "goengine-demo=goengine.demo:main",
        ]
    },
    zip_safe=False,
)
