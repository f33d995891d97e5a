using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

/// <summary>
/// Reverse-mode autograd over the engine's one <see cref="Tensor"/> type, in torch's style: mark leaves with
/// <see cref="Tensor.RequiresGrad"/>, run the forward ops inside <c>using var tape = Tape.Record();</c>, then
/// <see cref="Backward"/> the loss; gradients accumulate into the leaves' <see cref="Tensor.Grad"/>.
/// While a tape records (on the current thread), every op whose inputs track gradients stores a
/// <see cref="Node"/> on its output's <see cref="Tensor.GradFn"/>. Outside a tape, or inside
/// <see cref="NoGrad"/>, ops record nothing and allocate nothing for autograd (the check is one thread-static read).
/// Disposing the tape frees every tensor its nodes saved and detaches the outputs from the graph.
/// </summary>
public sealed class Tape : IDisposable
{
    [ThreadStatic] private static Tape? _current;
    [ThreadStatic] private static int _pauseDepth;

    private readonly Tape? _outer;
    private readonly int _outerPauseDepth;
    private readonly List<(Node Node, Tensor Output)> _recorded = [];
    private bool _disposed;

    private Tape(Tape? outer, int outerPauseDepth)
    {
        _outer = outer;
        _outerPauseDepth = outerPauseDepth;
    }

    /// <summary>Starts recording on this thread until the returned tape is disposed. Tapes nest (innermost records).</summary>
    public static Tape Record()
    {
        var tape = new Tape(_current, _pauseDepth);
        _current = tape;
        _pauseDepth = 0;
        return tape;
    }

    /// <summary>The innermost tape of this thread, or null.</summary>
    public static Tape? Current => _current;

    /// <summary>True while a tape records on this thread and no <see cref="NoGrad"/> scope is open.</summary>
    public static bool IsRecording
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _current is not null && _pauseDepth == 0;
    }

    /// <summary>Suspends recording until the scope is disposed (torch.no_grad): optimiser steps, EMA, validation.</summary>
    public static NoGradScope NoGrad()
    {
        _pauseDepth++;
        return new NoGradScope();
    }

    /// <summary>Closes a <see cref="NoGrad"/> scope.</summary>
    public readonly ref struct NoGradScope
    {
        public void Dispose() => _pauseDepth--;
    }

    /// <summary>Whether <paramref name="t"/> participates in the graph (a leaf that requires grad, or an op output recorded on a tape).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TracksGrad(Tensor? t) => t is not null && (t.RequiresGrad || t.GradFn is not null);

    /// <summary>The guard every recording hook starts with: recording, and some input tracks gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ShouldRecord(Tensor? a) => IsRecording && TracksGrad(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ShouldRecord(Tensor? a, Tensor? b) => IsRecording && (TracksGrad(a) || TracksGrad(b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ShouldRecord(Tensor? a, Tensor? b, Tensor? c) => IsRecording && (TracksGrad(a) || TracksGrad(b) || TracksGrad(c));

    public static bool ShouldRecord(ReadOnlySpan<Tensor> inputs)
    {
        if (!IsRecording) return false;
        foreach (var t in inputs) if (TracksGrad(t)) return true;
        return false;
    }

    /// <summary>
    /// Records an op on the current tape: <paramref name="output"/>.GradFn becomes a node whose edges lead to the
    /// inputs' nodes or leaves (null inputs and inputs that track no gradient get none), which keeps
    /// <paramref name="saved"/> alive (null entries allowed: save only what the needed gradients use) and calls
    /// <paramref name="backward"/> during <see cref="Backward"/>. Call after the forward op has computed
    /// <paramref name="output"/>; guard with <see cref="ShouldRecord(Tensor?)"/>.
    /// For an in-place op, <paramref name="output"/> is also an input: the edges are taken before GradFn is replaced.
    /// </summary>
    public static Node Record(Tensor output, string name, ReadOnlySpan<Tensor?> inputs, ReadOnlySpan<Tensor?> saved, BackwardFn backward)
    {
        var tape = _current ?? throw new InvalidOperationException($"{name}: no tape is recording on this thread.");
        if (output.RequiresGrad && output.GradFn is null)
            throw new InvalidOperationException($"{name}: {output} is a leaf that requires grad and cannot be the output of a recorded op (in-place op on a parameter?). Modify it inside Tape.NoGrad().");
        var node = new Node(name, output, inputs, saved, backward);
        output.GradFn = node;
        tape._recorded.Add((node, output));
        return node;
    }

    /// <summary>
    /// <see cref="Record(Tensor, string, ReadOnlySpan{Tensor?}, ReadOnlySpan{Tensor?}, BackwardFn)"/> with the op's
    /// non-tensor arguments passed as <paramref name="state"/>, so the hook's lambda can be <c>static</c>: a hook
    /// whose lambda captured its parameters would allocate the closure on entry, before its guard, on every
    /// inference call.
    /// </summary>
    public static Node Record<TState>(Tensor output, string name, ReadOnlySpan<Tensor?> inputs, ReadOnlySpan<Tensor?> saved,
        TState state, BackwardFn<TState> backward) =>
        Record(output, name, inputs, saved, (g, n) => backward(g, n, state));

    /// <summary>Number of nodes this tape recorded.</summary>
    public int NodeCount => _recorded.Count;

    /// <summary>
    /// Backpropagates from <paramref name="root"/>: gradients of every leaf reachable through recorded nodes are
    /// added to their <see cref="Tensor.Grad"/> (allocated on first use, like torch). <paramref name="gradRoot"/>
    /// is d(objective)/d(root); it defaults to 1 for a one-element root (a loss). The saved tensors of the nodes
    /// run are freed as the pass goes unless <paramref name="retainGraph"/>.
    /// Deterministic: nodes are processed in a fixed order and every accumulation is a fixed-order sum.
    /// </summary>
    public void Backward(Tensor root, Tensor? gradRoot = null, bool retainGraph = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!TracksGrad(root))
            throw new InvalidOperationException($"Backward: {root} does not track gradients (no recorded op produced it and it does not require grad).");
        var seed = gradRoot is null ? OnesFor(root) : SeedFrom(root, gradRoot);
        using var _ = NoGrad(); // backward math never records (a checkpoint's recomputation opens its own tape)

        if (root.GradFn is null)
        {
            AccumulateIntoLeaf(root, seed);
            seed.Dispose();
            return;
        }
        Run(root.GradFn, seed, retainGraph);
    }

    private static Tensor OnesFor(Tensor root)
    {
        if (root.Numel != 1)
            throw new ArgumentException($"Backward: the root {root} has {root.Numel} elements; pass gradRoot (d objective / d root) for a non-scalar root.");
        return Tensor.Full(1f, root.Shape);
    }

    private static Tensor SeedFrom(Tensor root, Tensor gradRoot)
    {
        if (!gradRoot.Shape.SequenceEqual(root.Shape))
            throw new ArgumentException($"Backward: gradRoot {gradRoot} does not match the root {root}.");
        return gradRoot.Clone(); // the engine owns and may pass on its seed; the caller keeps theirs
    }

    private static void Run(Node rootNode, Tensor seed, bool retainGraph)
    {
        var pendingConsumers = CountConsumers(rootNode);
        // Each gradient held here carries one storage reference of the engine's (Retain on store, Release on removal).
        var grads = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance);
        Store(grads, rootNode, seed);
        seed.Dispose();
        var ready = new Stack<Node>();
        ready.Push(rootNode);
        try
        {
            while (ready.Count > 0)
            {
                var node = ready.Pop();
                grads.Remove(node, out var g);
                Tensor?[]? results = g is null ? null : node.Apply(g); // no gradient arrived: contributes nothing
                for (int i = 0; i < node.Edges.Length; i++)
                {
                    var edge = node.Edges[i];
                    var gi = results?[i];
                    if (edge.Function is { } fn)
                    {
                        if (gi is not null) Accumulate(grads, fn, gi);
                        if (--pendingConsumers[fn] == 0) ready.Push(fn);
                    }
                    else if (edge.Leaf is { } leaf && gi is not null)
                        AccumulateIntoLeaf(leaf, gi);
                }
                if (results is not null)
                    foreach (var r in results) r?.Dispose(); // drops the creator's reference; idempotent for g and views
                g?.Storage.Release();
                if (!retainGraph) node.Release();
            }
        }
        finally
        {
            foreach (var t in grads.Values) t.Storage.Release();
        }
    }

    /// <summary>For every node reachable from the root: how many edges of reachable nodes point to it.</summary>
    private static Dictionary<Node, int> CountConsumers(Node root)
    {
        var count = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance) { [root] = 0 };
        var stack = new Stack<Node>();
        stack.Push(root);
        while (stack.Count > 0) // iterative: a model's graph is thousands of nodes deep
        {
            var node = stack.Pop();
            foreach (var edge in node.Edges)
            {
                if (edge.Function is not { } fn) continue;
                if (count.TryGetValue(fn, out int c)) count[fn] = c + 1;
                else { count[fn] = 1; stack.Push(fn); }
            }
        }
        return count;
    }

    private static void Store(Dictionary<Node, Tensor> grads, Node node, Tensor g)
    {
        g.Storage.Retain();
        grads[node] = g.IsContiguous ? g : Contiguous(g);
    }

    private static Tensor Contiguous(Tensor view)
    {
        // Backward functions receive contiguous gradients; a strided view returned by one is compacted here.
        var c = view.Clone();
        view.Storage.Release();
        c.Storage.Retain();
        c.Dispose();
        return c;
    }

    private static void Accumulate(Dictionary<Node, Tensor> grads, Node node, Tensor g)
    {
        if (!grads.TryGetValue(node, out var existing)) { Store(grads, node, g); return; }
        // Out of place: a stored gradient may share storage with another input's (e.g. both inputs of Add).
        var sum = Tensor.Empty(existing.Shape);
        AddDense(existing, g, sum);
        existing.Storage.Release();
        Store(grads, node, sum);
        sum.Dispose();
    }

    private static void AccumulateIntoLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.Grad is null) { leaf.Grad = g.Clone(); return; } // Grad is the user's to modify: never shared
        var acc = leaf.Grad;
        if (!acc.Shape.SequenceEqual(leaf.Shape) || !acc.IsContiguous)
            throw new InvalidOperationException($"Backward: the Grad of leaf {leaf} is {acc} (strided or misshapen); it must be a contiguous tensor of the leaf's shape.");
        AddDense(acc, g, acc);
    }

    private static void AddDense(Tensor a, Tensor b, Tensor destination)
    {
        if (b.IsContiguous) TensorPrimitives.Add(a.AsSpan(), b.AsSpan(), destination.AsSpan());
        else
        {
            using var bc = b.Clone();
            TensorPrimitives.Add(a.AsSpan(), bc.AsSpan(), destination.AsSpan());
        }
    }

    /// <summary>Stops recording and frees what the recorded nodes saved; outputs no longer point into the graph.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("Tape.Dispose: tapes must be disposed innermost first, on the thread that created them.");
        _disposed = true;
        _current = _outer;
        _pauseDepth = _outerPauseDepth;
        foreach (var (node, output) in _recorded)
        {
            node.Release();
            if (ReferenceEquals(output.GradFn, node)) output.GradFn = null;
        }
        _recorded.Clear();
    }
}
